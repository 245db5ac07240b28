"""Register tests use the ``record`` fixture of the suite's root ``conftest.py``."""
