"""Make ``sig_helpers`` importable by name (``--import-mode=importlib`` puts no test folder
on ``sys.path``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
