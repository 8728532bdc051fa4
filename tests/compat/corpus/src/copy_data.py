"""Copies a file or a folder (--input) into a folder, or into one file with --output_is_file."""

import argparse
import pathlib
import shutil

parser = argparse.ArgumentParser()
parser.add_argument("--input", required=True)
parser.add_argument("--output", required=True)
parser.add_argument("--output_is_file", action="store_true")
args = parser.parse_args()
source, target = pathlib.Path(args.input), pathlib.Path(args.output)
files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
if args.output_is_file:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"".join(p.read_bytes() for p in files))
elif source.is_file():
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target / source.name)
else:
    shutil.copytree(source, target, dirs_exist_ok=True)
print(f"copied {len(files)} file(s) from {source} to {target}")
