"""Make ``fake_runs`` importable by name, here and in spawned pool workers (which copy sys.path).

The suite runs with ``--import-mode=importlib``, which puts no test folder on ``sys.path``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
