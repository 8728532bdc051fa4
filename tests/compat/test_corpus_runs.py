"""Every corpus job runs to Completed on Docker, through the `studio` CLI (issue #13, the corpus).

Against a `studio up` of this module's own (the manifest's compute aliases are a server setting),
the `docker` compute taking several steps at once, the harness does what a user of the corpus
would, once for the whole module:

1. `studio <kind> create --file F` for every asset file (datastores first, then each file after the
   files it needs), and puts the manifest's `setup.datastore_files` into the datastores' folders;
2. `studio job create --file F` for every job the manifest expects to run (`runs`, `warns`): all
   are submitted, then the server's worker runs them side by side until each has ended.

Each corpus file is then its own test, asserting on what was recorded: a job Completed; its
warnings (what the server recorded and what the CLI printed) hold each field of `warns`, and
there are none for `runs`; `writes` files are on the datastore (`${{name}}` the job's name);
`registers_outputs` versions exist, tagged with the job; `steps` and `leaves` are its step names;
`artifacts` are among its steps' default artifacts. An asset file registers, with the warnings
`warns` lists (none for `registers`), through the CLI (tests/studio/test_asset_warnings.py checks
the same through the registry); refused files are tested by test_reading.py.

What Studio cannot do yet is not hidden: PENDING names each such file with what is missing, and
its test asserts that the file still falls short, so the table shrinks as the work lands (a file
that starts passing fails here until it is taken out).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.compat import corpus_runs as corpus
from tests.compat.corpus_runs import FILES, SETUP, create, studio
from tests.compat.oracle import CORPUS
from tests.servers import start_studio

JOBS = sorted(rel for rel, e in FILES.items() if e["kind"] == "job" and e["expect"] != "refused")
ASSETS = corpus.asset_order()
TESTED_ASSETS = sorted(rel for rel in ASSETS if FILES[rel]["expect"] in ("registers", "warns"))
CONCURRENT_STEPS = 6  # steps of the docker compute at once: the corpus's steps are tiny
RUN_DEADLINE_S = 420  # every job ended by then, or the tests report where each one stands

POINT_6 = "#13 point 6: type: pipeline components"
# Corpus file -> what Studio lacks for it to pass today (the file, field and message seen).
PENDING: dict[str, str] = {}  # empty: every corpus file does what the manifest says


@pytest.fixture(scope="module")
def corpus_studio():
    """A `studio up` for the corpus, the CLI of this process pointed at it."""
    home = Path(tempfile.mkdtemp(prefix="studio-corpus-", dir="/tmp"))
    home.chmod(0o755)  # steps run as an unprivileged user
    aliases = ",".join(f"{name}={studio}" for name, studio in SETUP["compute_aliases"].items())
    try:
        server = start_studio(home, extra_env={"STUDIO_COMPUTE_ALIASES": aliases})
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    try:
        token = server.issue_token("corpus runs")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("XDG_CONFIG_HOME", str(home / "cli-config"))
            patch.setenv("STUDIO_URL", server.url)
            patch.setenv("STUDIO_TOKEN", token)
            yield corpus.Api(server.url, token)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def datastore_folder(name: str) -> Path:
    shown = studio("datastore", "show", name, "-o", "json")
    assert shown.code == 0, str(shown)
    return Path(shown.json["folder"])


@pytest.fixture(scope="module")
def registered(corpus_studio) -> dict[str, corpus.CliResult]:
    """`studio <kind> create --file F` of every asset file, the datastore files put in place."""
    results = {}
    placed = False
    for relative in ASSETS:
        if FILES[relative]["kind"] != "datastore" and not placed:
            corpus.put_datastore_files(datastore_folder)
            placed = True
        results[relative] = create(relative)
    return results


@pytest.fixture(scope="module")
def runs(corpus_studio, registered) -> dict[str, tuple[corpus.CliResult, dict | None]]:
    """`studio job create --file F` of every job expected to run, then each job once it ended."""
    updated = studio("compute", "update", "docker", "--max-concurrent", str(CONCURRENT_STEPS))
    assert updated.code == 0, str(updated)
    submitted = {
        relative: studio("job", "create", "--file", str(CORPUS / relative), "-o", "json") for relative in JOBS
    }
    names = [result.json["name"] for result in submitted.values() if result.code == 0]
    jobs = corpus_studio.wait_all(names, deadline_s=RUN_DEADLINE_S)
    return {
        relative: (result, jobs[result.json["name"]] if result.code == 0 else None)
        for relative, result in submitted.items()
    }


# --- what falls short -----------------------------------------------------------------------------


def _warnings_shortfalls(relative: str, found: set[tuple[str, str]]) -> list[str]:
    expected = corpus.expected_warnings(relative)
    if FILES[relative]["expect"] != "warns":
        return [f"warned {sorted(found)}, expected none"] if found else []
    missing = sorted(expected - found)
    return [f"not warned at {missing} (warned {sorted(found)})"] if missing else []


def _step_shortfalls(relative: str, job: dict) -> list[str]:
    entry = FILES[relative]
    names = [step["name"] for step in job["steps"]]
    shortfalls = []
    if "steps" in entry:
        top = sorted({name.split(".")[0] for name in names})
        if top != sorted(entry["steps"]):
            shortfalls.append(f"steps {top}, expected {sorted(entry['steps'])}")
    if "leaves" in entry and sorted(names) != sorted(entry["leaves"]):
        shortfalls.append(f"step names {sorted(names)}, expected leaves {sorted(entry['leaves'])}")
    return shortfalls


def _output_shortfalls(relative: str, job: dict, api: corpus.Api) -> list[str]:
    entry = FILES[relative]
    shortfalls = []
    for written in entry.get("writes", []):
        store, _, path = written.replace("${{name}}", job["name"]).partition(":")
        if not (datastore_folder(store) / path).is_file():
            shortfalls.append(f"nothing written at {store}:{path}")
    for port, asset in entry.get("registers_outputs", {}).items():
        kind, reference = asset.split()
        shown = studio(kind, "show", reference, "--output", "json")
        if shown.code != 0:
            shortfalls.append(f"output {port} did not register {kind} {reference}: {shown.stderr.strip()}")
        elif (shown.json.get("tags") or {}).get("job") != job["name"]:
            shortfalls.append(
                f"{kind} {reference} is not tagged with job {job['name']}: {shown.json.get('tags')}"
            )
    if entry.get("artifacts"):
        kept = set()
        for step in job["steps"]:
            listed = api.get(f"jobs/{job['name']}/steps/{step['name']}/artifacts/")
            if listed.status_code != 200:
                shortfalls.append(f"artifacts of step {step['name']}: HTTP {listed.status_code}")
                continue
            kept |= {item["path"] for item in listed.json().get("files", [])}
        missing = sorted(set(entry["artifacts"]) - kept)
        if missing:
            shortfalls.append(f"default artifacts {missing} not kept (kept {sorted(kept)})")
    return shortfalls


def job_shortfalls(
    relative: str, submitted: corpus.CliResult, job: dict | None, api: corpus.Api
) -> list[str]:
    """Everything the job file's run falls short of the manifest by (empty: it passes)."""
    if job is None:
        return [f"not submitted: {submitted}"]
    if job["status"] != "Completed":
        failed = {
            s["name"]: (s["status"], s["status_reason"]) for s in job["steps"] if s["status"] != "Completed"
        }
        return [f"job {job['name']} is {job['status']}: {failed}"]
    found = corpus.warned(relative, job["spec"].get("warnings", []), submitted.stderr)
    return (
        _warnings_shortfalls(relative, found)
        + _step_shortfalls(relative, job)
        + _output_shortfalls(relative, job, api)
    )


def asset_shortfalls(relative: str, created: corpus.CliResult) -> list[str]:
    """Everything the asset file's `create` falls short of the manifest by (empty: it passes)."""
    if relative in _SECOND_OF_A_NAME:  # the name:version is another corpus file's by now
        says = "is already registered with different content"
        problems = [p["field"] for p in _problems(created) if says in p["message"]]
        return (
            [] if created.code == 2 and problems == ["version"] else [f"not refused as a conflict: {created}"]
        )
    if created.code != 0:
        return [f"not registered: {created}"]
    found = corpus.warned(relative, (created.json or {}).get("warnings") or [], created.stderr)
    return _warnings_shortfalls(relative, found)


def _problems(result: corpus.CliResult) -> list[dict]:
    try:
        return json.loads(result.stderr).get("problems", [])
    except ValueError:
        return []


def _second_of_a_name() -> set[str]:
    """Files declaring a component name:version an earlier file in ASSETS registered with other
    content (`same_name_version`): in one workspace only the first registers."""
    seen, later = set(), set()
    for relative in ASSETS:
        group = frozenset([relative, *FILES[relative].get("same_name_version", [])])
        if len(group) > 1 and group in seen:
            later.add(relative)
        seen.add(group)
    return later


_SECOND_OF_A_NAME = _second_of_a_name()


def _check(relative: str, shortfalls: list[str]) -> None:
    if relative in PENDING:
        assert shortfalls, f"{relative} now passes: take it out of PENDING ({PENDING[relative]})"
    else:
        assert shortfalls == [], "\n".join(shortfalls)


# --- the tests ------------------------------------------------------------------------------------


def test_the_pending_table_names_corpus_files_this_module_tests():
    assert sorted(set(PENDING) - set(JOBS) - set(TESTED_ASSETS)) == []
    assert len(JOBS) + len(TESTED_ASSETS) >= 60


@pytest.mark.parametrize("relative", TESTED_ASSETS)
def test_the_asset_file_registers_as_the_manifest_says(relative, registered):
    _check(relative, asset_shortfalls(relative, registered[relative]))


@pytest.mark.docker
@pytest.mark.parametrize("relative", JOBS)
def test_the_job_file_runs_to_completed_on_docker(relative, runs, corpus_studio):
    submitted, job = runs[relative]
    _check(relative, job_shortfalls(relative, submitted, job, corpus_studio))
