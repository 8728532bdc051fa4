"""Fails unless every variable named on the command line is set; prints them."""

import os
import sys

missing = [name for name in sys.argv[1:] if name not in os.environ]
if missing:
    raise SystemExit(f"not set: {', '.join(missing)}")
for name in sys.argv[1:]:
    print(f"{name}={os.environ[name]}")
