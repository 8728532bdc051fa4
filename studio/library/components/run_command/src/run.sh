#!/usr/bin/env bash
# Run Command: run the user's bash script with INPUT_DIR and OUTPUT_DIR exported.
# Usage: run.sh SCRIPT OUTPUT_DIR [INPUT_DIR]
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
    echo "error: usage: run.sh SCRIPT OUTPUT_DIR [INPUT_DIR]" >&2
    exit 2
fi
script=$1
export OUTPUT_DIR=$2
export INPUT_DIR=${3:-}

if [[ -z ${script//[[:space:]]/} ]]; then
    echo "error: the script is empty" >&2
    exit 2
fi
if [[ -n $INPUT_DIR && ! -d $INPUT_DIR ]]; then
    echo "error: input folder $INPUT_DIR does not exist" >&2
    exit 2
fi
mkdir -p "$OUTPUT_DIR"

echo "INPUT_DIR=${INPUT_DIR:-(none)}"
echo "OUTPUT_DIR=$OUTPUT_DIR"
echo "Running the script ($(wc -l <<<"$script") line(s))"
status=0
bash -e -o pipefail -c "$script" || status=$?
if [[ $status -ne 0 ]]; then
    echo "error: the script failed with exit status $status" >&2
    exit "$status"
fi
echo "The script finished; the output folder holds $(find "$OUTPUT_DIR" -type f | wc -l) file(s)"
