"""Doubles the number in a uri_file input into a folder output."""

import pathlib
import sys

source, out = sys.argv[1:3]
value = int(pathlib.Path(source).read_text()) * 2
(pathlib.Path(out) / "doubled.txt").write_text(f"{value}\n")
print("doubled", value, "from", source)
