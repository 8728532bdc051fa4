import argparse
import os
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--numbers")
parser.add_argument("--factor", type=float)
parser.add_argument("--rounds", type=int)
parser.add_argument("--out")
args = parser.parse_args()

numbers = [float(line) for line in Path(args.numbers).read_text().split() if line.strip()]
total = sum(numbers) * args.factor * args.rounds
print(f"GREETING={os.environ['GREETING']} DEBUG={os.environ['DEBUG']}")
print(f"total={total}")
Path(args.out, "total.txt").write_text(f"{total}\n")
