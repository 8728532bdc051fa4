"""Prints a greeting and the arguments it was given."""

import sys

print("hello from the compatibility corpus:", " ".join(sys.argv[1:]))
