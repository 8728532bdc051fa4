"""Sums a file of numbers into a uri_file output; notes where it found everything."""

import os
import pathlib
import sys

numbers, total, seen = sys.argv[1:4]
value = sum(int(line) for line in pathlib.Path(numbers).read_text().split())
pathlib.Path(total).write_text(f"{value}\n")
pathlib.Path("outputs").joinpath("note.txt").write_text("kept\n")
pathlib.Path(seen, "paths.txt").write_text("\n".join([os.getcwd(), numbers, total, seen, __file__]) + "\n")
print("total", value)
