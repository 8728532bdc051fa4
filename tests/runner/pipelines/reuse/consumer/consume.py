"""Copies the upstream value and appends a suffix."""

import pathlib
import sys

source, suffix, out = sys.argv[1:4]
text = (pathlib.Path(source) / "value.txt").read_text().strip() + suffix
(pathlib.Path(out) / "value.txt").write_text(text + "\n")
print("consumed", text)
