"""Helpers shared by the test folders, imported as ``tests.helpers.<module>``.

Plain functions and constants live here, one meaning per name; fixtures stay in the
``conftest.py`` files. pytest puts the repository root on ``sys.path`` (``pythonpath`` in
pyproject.toml), and spawned pool workers copy that path, so no test edits ``sys.path``.
"""
