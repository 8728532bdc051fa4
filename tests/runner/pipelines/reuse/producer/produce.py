"""Writes what the step was made of, so a rerun with other inputs gives other output."""

import os
import pathlib
import sys

CODE = "code-1"
greeting, data, out = sys.argv[1:4]
fruit = (pathlib.Path(data) / "value.txt").read_text().strip()
text = f"{CODE}|{greeting}|{fruit}|{os.environ.get('FLAVOR', 'plain')}"
(pathlib.Path(out) / "value.txt").write_text(text + "\n")
print("produced", text)
