"""Imports the modules named on the command line (checks an environment's packages)."""

import importlib
import sys

for name in sys.argv[1:]:
    module = importlib.import_module(name)
    print(f"{name} {getattr(module, '__version__', '')}")
