"""Import CSV: read a delimited file (from a path or an http(s) URL) into a dataset folder."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NoReturn

import pandas as pd

DOWNLOAD_TIMEOUT_S = 120


def fail(message: str) -> NoReturn:
    """Stop with the message on stderr and exit status 1."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def parse_bool(text: str) -> bool:
    """A boolean parameter as rendered by Studio ("True"/"False") or written by hand."""
    value = text.strip().lower()
    if value in {"true", "1", "yes", "y"}:
        return True
    if value in {"false", "0", "no", "n"}:
        return False
    fail(f"expected true or false, got {text!r}")


def parse_separator(text: str) -> str:
    """The separator character; accepts \\t and the word tab for a tab."""
    if text.lower() in {"\\t", "tab"}:
        return "\t"
    if len(text) != 1:
        fail(f"the separator must be one character (or \\t for a tab), got {text!r}")
    return text


def source_file_path(path: Path) -> Path:
    """The file to read: the path itself, or the only CSV file in a folder."""
    if path.is_file():
        return path
    if path.is_dir():
        if (path / "data.csv").is_file():
            return path / "data.csv"
        candidates = sorted(path.glob("*.csv"))
        if len(candidates) == 1:
            return candidates[0]
        fail(f"source folder {path} holds {len(candidates)} CSV files; give a single file")
    fail(f"source file {path} does not exist")


def download(url: str, folder: Path) -> Path:
    """Download an http(s) URL into folder; proxies come from the usual environment variables."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in {"http", "https"}:
        fail(f"source_url must start with http:// or https://, got {url!r}")
    target = folder / "download.csv"
    print(f"Downloading {url}", flush=True)
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "studio-import-csv/1"})
        with (
            urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response,
            target.open("wb") as out,
        ):
            shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as error:
        fail(f"downloading {url} failed: HTTP {error.code} {error.reason}")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        fail(f"downloading {url} failed: {reason}")
    print(f"Downloaded {target.stat().st_size} bytes", flush=True)
    return target


def read_table(path: Path, separator: str, has_header: bool) -> pd.DataFrame:
    """Read the delimited file, naming columns column_1… when there is no header line."""
    try:
        frame = pd.read_csv(path, sep=separator, header=0 if has_header else None)
    except pd.errors.EmptyDataError:
        fail(f"{path.name} is empty")
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        fail(f"cannot parse {path.name} as CSV with separator {separator!r}: {error}")
    if not has_header:
        frame.columns = [f"column_{index + 1}" for index in range(frame.shape[1])]
    return frame


def main() -> None:
    """Parse the arguments, read the source and write dataset/data.csv."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source-file", type=Path)
    parser.add_argument("--source-url")
    parser.add_argument("--separator", default=",")
    parser.add_argument("--has-header", default="true")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    if (args.source_file is None) == (args.source_url is None):
        fail(
            "give exactly one of source_file and source_url"
            + (" (both were given)" if args.source_file is not None else " (neither was given)")
        )
    separator = parse_separator(args.separator)
    has_header = parse_bool(args.has_header)

    with tempfile.TemporaryDirectory() as scratch:
        if args.source_url is not None:
            path = download(args.source_url.strip(), Path(scratch))
        else:
            path = source_file_path(args.source_file)
            print(f"Reading {path}", flush=True)
        frame = read_table(path, separator, has_header)

    args.output.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.output / "data.csv", index=False)
    print(f"Imported {len(frame)} rows and {frame.shape[1]} columns: {', '.join(map(str, frame.columns))}")
    print(f"Wrote {args.output / 'data.csv'}")


if __name__ == "__main__":
    main()
