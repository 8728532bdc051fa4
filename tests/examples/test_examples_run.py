"""Every pipeline of examples/ runs to Completed with `studio job create` (issue #15 point 5).

As the README's CLI section says to: the `studio` command of this process (tests/compat's
harness) against the session's `studio up`, every file submitted, then all run side by side.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.compat.corpus_runs import Api, studio

pytestmark = pytest.mark.docker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PIPELINES = sorted(path for path in EXAMPLES.rglob("*.yml") if "type: pipeline" in path.read_text())
RUN_DEADLINE_S = 900  # the first run builds the sklearn environment's image


@pytest.fixture(scope="module")
def runs(studio_server, token, tmp_path_factory) -> dict[str, tuple]:
    """`studio job create --file F` of every example, then each job once it ended."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("cli-config")))
        patch.setenv("STUDIO_URL", studio_server.url)
        patch.setenv("STUDIO_TOKEN", token)
        started = time.monotonic()
        submitted = {
            path.relative_to(EXAMPLES).as_posix(): studio("job", "create", "--file", str(path), "-o", "json")
            for path in PIPELINES
        }
        names = [result.json["name"] for result in submitted.values() if result.code == 0]
        jobs = Api(studio_server.url, token).wait_all(names, deadline_s=RUN_DEADLINE_S)
        print(f"{len(names)} examples ended after {time.monotonic() - started:.0f} s")
    return {
        relative: (result, jobs.get(result.json["name"]) if result.code == 0 else None)
        for relative, result in submitted.items()
    }


def test_the_examples_are_the_gallery_and_a_local_component():
    names = {path.relative_to(EXAMPLES).as_posix() for path in PIPELINES}
    assert {
        "classification.yml",
        "regression.yml",
        "data-preparation.yml",
        "python-script.yml",
        "batch-scoring.yml",
        "custom-component/pipeline.yml",
    } <= names


@pytest.mark.parametrize("relative", [path.relative_to(EXAMPLES).as_posix() for path in PIPELINES])
def test_the_example_runs_to_completed(relative, runs):
    submitted, job = runs[relative]
    assert submitted.code == 0, str(submitted)
    failed = {
        s["name"]: (s["status"], s["status_reason"]) for s in job["steps"] if s["status"] != "Completed"
    }
    assert job["status"] == "Completed", f"{job['name']} is {job['status']}: {failed}"
