"""Running the compatibility corpus on a real Studio through the `studio` CLI (issue #13).

The harness of tests/compat/test_corpus_runs.py: the `studio` command called in this process, as a
user would type it (`studio <kind> create --file F`, `studio job create --file F`), against a
`studio up` of the test's own (the manifest's compute aliases are a server setting), and the REST
API read back for what became of each file. Nothing here knows how Studio does it.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from cli import main
from tests.compat.oracle import CORPUS, manifest

FILES: dict[str, dict] = manifest()["files"]
SETUP: dict[str, Any] = manifest()["setup"]
ASSET_KINDS = ("datastore", "environment", "data", "model", "component")  # the order they register in
TERMINAL = ("Completed", "Failed", "Canceled")


@dataclass
class CliResult:
    """What one `studio` command answered: exit code, stdout (JSON with -o json), stderr."""

    argv: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"studio {' '.join(self.argv)} -> {self.code}\n{self.stderr.strip()}"


def studio(*argv: str) -> CliResult:
    """Run the `studio` command in this process (STUDIO_URL / STUDIO_TOKEN name the server)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
        except Exception:  # a crash of the CLI is one file's failure, not the harness's
            traceback.print_exc()
            code = -1
    return CliResult(list(argv), code, out.getvalue(), err.getvalue())


def create(relative: str) -> CliResult:
    """`studio <kind> create --file F -o json`, F a corpus file."""
    return studio(FILES[relative]["kind"], "create", "--file", str(CORPUS / relative), "-o", "json")


def asset_order() -> list[str]:
    """Every asset file the manifest lists, each after the files it needs, datastores first (data
    assets and jobs read files placed on them), the files jobs need before the others (of two
    files declaring one name:version, the one a job needs registers)."""
    ordered: list[str] = []

    def add(relative: str) -> None:
        if relative in ordered:
            return
        for needed in FILES[relative].get("needs", []):
            add(needed)
        ordered.append(relative)

    needed = {n for entry in FILES.values() for n in entry.get("needs", [])}
    for first in (True, False):  # what a file needs before what nothing needs
        for kind in ASSET_KINDS:
            for relative, entry in FILES.items():
                if entry["kind"] == kind and (relative in needed or not first):
                    add(relative)
    return sorted(ordered, key=lambda relative: FILES[relative]["kind"] != "datastore")


def put_datastore_files(folder_of) -> None:
    """Copy the manifest's `setup.datastore_files` into the datastores' server folders
    (`folder_of(name)` -> Path), as an administrator puts files on a datastore."""
    for name, files in SETUP.get("datastore_files", {}).items():
        folder = Path(folder_of(name))
        for target, source in files.items():
            destination = folder / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CORPUS / source, destination)
            destination.chmod(0o644)


@dataclass
class Api:
    """The REST API of the test's Studio, read back with the admin's token."""

    url: str
    token: str
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str) -> requests.Response:
        return self.session.get(
            f"{self.url}/api/v1/{path}", headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )

    def job(self, name: str) -> dict:
        response = self.get(f"jobs/{name}/")
        response.raise_for_status()
        return response.json()

    def wait_all(self, names: list[str], *, deadline_s: float) -> dict[str, dict]:
        """Every job once it ended (or as it stands when the deadline passes)."""
        jobs: dict[str, dict] = {}
        pending = list(names)
        deadline = time.monotonic() + deadline_s
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                job = self.job(name)
                if job["status"] in TERMINAL:
                    jobs[name] = job
                    pending.remove(name)
            if pending:
                time.sleep(1)
        for name in pending:
            jobs[name] = self.job(name)
        return jobs


def expected_warnings(relative: str) -> set[tuple[str, str]]:
    """The manifest's `warns` of a file as (corpus file, field)."""
    expected = set()
    for warning in FILES[relative].get("warns", []):
        file, _, field_name = warning.rpartition("#")
        expected.add((file or relative, field_name))
    return expected


WARNING_LINE = re.compile(r"^warning: (?P<file>[^\s:]+)(?::\d+)?: (?P<field>[A-Za-z0-9_.]+): ", re.M)


def _corpus_name(path: Path) -> str | None:
    try:
        return path.resolve().relative_to(CORPUS.resolve()).as_posix()
    except ValueError:
        return None


def locate(relative: str, field_name: str) -> tuple[str, str]:
    """A warning the server gave at `field_name` of the document the CLI sent, in the corpus file
    it is written in: the CLI sends a local conda file's content in place of its path, so
    `environment.conda_file.channels` of the job is `channels` of that conda file."""
    document = yaml.safe_load((CORPUS / relative).read_text())
    parts = field_name.split(".")
    value: Any = document
    for at, part in enumerate(parts):
        if not isinstance(value, dict) or part not in value:
            break
        value = value[part]
        if isinstance(value, str) and value.strip().endswith((".yml", ".yaml")):
            local = (CORPUS / relative).parent / value.strip().removeprefix("file:")
            name = _corpus_name(local) if local.is_file() else None
            if name is not None and at + 1 < len(parts):
                return name, ".".join(parts[at + 1 :])
    return relative, field_name


def warned(relative: str, recorded: list[dict], printed: str) -> set[tuple[str, str]]:
    """Every warning of a corpus file as (corpus file, field): those the server recorded (located by
    `locate`) and those `studio ... create` printed (`warning: file:line: field: message`)."""
    found = set()
    for warning in recorded:
        file = str(warning.get("file") or "")
        field_name = str(warning.get("field") or "")
        if file in ("", "request body", Path(relative).name):
            found.add(locate(relative, field_name))
        else:
            found.add((_corpus_name(Path(file)) or file, field_name))
    for match in WARNING_LINE.finditer(printed):
        file = _corpus_name(Path(match["file"])) or match["file"]
        found.add(locate(relative, match["field"]) if file == relative else (file, match["field"]))
    return found
