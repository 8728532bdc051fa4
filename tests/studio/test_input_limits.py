"""Refused input answers 4xx and logs one line: nesting too deep (YAML and JSON), bodies too large,
and `path: ..` with an upload part. Each case goes through the real route (DRF test client)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import tarfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.request_log import OneLineRefusals
from studio.schemas.loading import MAX_DEPTH, DefinitionError, load_document
from tests.endpoints.pipelines import new_key, publish, with_key
from tests.servers import REPO_ROOT

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs/"
COMPONENTS = "/api/v1/components/"
DATA = "/api/v1/data/"
RUNS = "/api/v1/endpoints/split-iris/runs"
ELEVEN_MIB = 11 * 1024 * 1024


@pytest.fixture
def seeded(library, computes):
    """The built-in library and computes (no worker: jobs stay Queued)."""


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO)
    caplog.clear()
    return caplog


def nested_json(levels: int) -> str:
    """`levels` arrays inside one another: `[[[…]]]`."""
    return "[" * levels + "]" * levels


def post_json(client, url: str, text: str):
    return client.generic("POST", url, text, content_type="application/json")


def post_yaml(client, url: str, text: str, name: str = "job.yml", **parts):
    files = {"file": SimpleUploadedFile(name, text.encode()), **parts}
    return client.post(url, files, format="multipart")


def assert_refused_in_one_line(log, response, status: int, method_path: str) -> None:
    """The answer is `status` (never 5xx) and the log has one line about it, without a traceback."""
    assert response.status_code == status, response.content[:500]
    assert not [record for record in log.records if record.exc_info or record.levelno >= logging.ERROR]
    loggers = ("studio.requests", "django.request")
    lines = [record.getMessage() for record in log.records if record.name in loggers]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{method_path} {status}: {response.json()['detail'][:100]}"), lines[0]
    assert sum(len(record.getMessage()) for record in log.records) < 1024


# --- YAML nested too deep ------------------------------------------------------------------------


def test_a_job_yaml_nested_600_levels_is_a_400_at_its_line(api, seeded, log):
    text = "type: pipeline\njobs:\n  a: " + nested_json(600) + "\n"

    response = post_yaml(api, JOBS, text)

    assert_refused_in_one_line(log, response, 400, "POST /api/v1/jobs/")
    problem = response.json()["problems"][0]
    assert problem["file"] == "job.yml" and problem["line"] == 3
    assert f"nested deeper than {MAX_DEPTH} levels" in problem["message"]


def test_block_yaml_nested_too_deep_names_the_line_of_the_first_level_too_many(api, seeded, log):
    text = "jobs:\n" + "".join("  " * level + f"k{level}:\n" for level in range(1, 600))

    response = post_yaml(api, COMPONENTS, text, name="component.yml")

    assert_refused_in_one_line(log, response, 400, "POST /api/v1/components/")
    problem = response.json()["problems"][0]
    assert problem["file"] == "component.yml"
    assert problem["line"] == MAX_DEPTH + 1  # `jobs` is level 1 on line 1; level 101 is on line 101
    assert "nested deeper than" in problem["message"]


def test_nesting_up_to_the_limit_reads(api):
    document, _ = load_document("a: " + nested_json(MAX_DEPTH) + "\n", filename="f.yml")
    node = document["a"]
    for _ in range(MAX_DEPTH - 1):
        node = node[0]
    assert node == []
    with pytest.raises(DefinitionError, match="nested deeper than"):
        load_document("a: " + nested_json(MAX_DEPTH + 1) + "\n", filename="f.yml")


def test_aliases_of_deep_anchors_count_their_expanded_depth(api, seeded, log):
    # 20 anchors of 60 levels, each inside the next: 1,200 levels once expanded, in 20 short lines.
    lines = ["x0: &x0 " + nested_json(60)]
    lines += [f"x{n}: &x{n} " + "[" * 60 + f"*x{n - 1}" + "]" * 60 for n in range(1, 20)]

    response = post_yaml(api, COMPONENTS, "\n".join(lines) + "\n", name="component.yml")

    assert_refused_in_one_line(log, response, 400, "POST /api/v1/components/")
    problem = response.json()["problems"][0]
    assert problem["line"] == 2 and "nested deeper than" in problem["message"]


def test_a_chain_of_merge_keys_is_refused_not_a_recursion_error():
    lines = ["m0: &m0 {a: 1}"] + [f"m{n}: &m{n} {{<<: *m{n - 1}, b{n}: 1}}" for n in range(1, 2000)]

    with pytest.raises(DefinitionError) as raised:
        load_document("\n".join(lines), filename="merge.yml")

    assert "nested deeper than" in raised.value.problems[0].message


def test_a_billion_laughs_stays_refused():
    lines = ["a: &a [" + ",".join(["x"] * 10) + "]"]
    pairs = zip("abcdefgh", "bcdefghi", strict=True)
    lines += [f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]" for p, c in pairs]

    with pytest.raises(DefinitionError, match="expand to more than"):
        load_document("\n".join(lines), filename="lol.yml")


# --- JSON nested too deep ------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [150, 1_100, 100_000])
def test_a_json_job_nested_too_deep_is_a_400(api, seeded, log, levels):
    response = post_json(api, JOBS, '{"type": "pipeline", "jobs": ' + nested_json(levels) + "}")

    assert_refused_in_one_line(log, response, 400, "POST /api/v1/jobs/")
    assert response.json()["detail"] == (
        f"request body: JSON nested deeper than {MAX_DEPTH} levels (objects and arrays inside one another)"
    )


def test_json_up_to_the_limit_is_read_and_checked_as_usual(api, seeded, log):
    response = post_json(api, JOBS, '{"type": "pipeline", "jobs": ' + nested_json(MAX_DEPTH - 1) + "}")

    assert response.status_code == 400
    assert "nested deeper" not in response.json()["detail"]


def test_a_json_component_nested_1100_levels_is_a_400(api, seeded, log):
    response = post_json(api, COMPONENTS, '{"name": "deep", "inputs": ' + nested_json(1_100) + "}")

    assert_refused_in_one_line(log, response, 400, "POST /api/v1/components/")
    assert "nested deeper than" in response.json()["detail"]


def test_json_without_nan_stays_strict(api, seeded):
    response = post_json(api, JOBS, '{"type": "pipeline", "x": NaN}')

    assert response.status_code == 400
    assert "NaN is not a JSON number" in response.json()["detail"]


@pytest.fixture
def key(api, seeded):
    publish(api)
    return new_key(api)


def test_an_endpoint_invocation_nested_1100_levels_is_a_400(key, log):
    log.clear()
    body = '{"ParameterAssignments": {"fraction": ' + nested_json(1_100) + "}}"

    response = post_json(with_key(key), RUNS, body)

    assert_refused_in_one_line(log, response, 400, f"POST {RUNS}")
    assert "nested deeper than" in response.json()["detail"]


# --- bodies too large ----------------------------------------------------------------------------


def eleven_mib_job() -> str:
    return '{"type": "pipeline", "description": "' + "a" * ELEVEN_MIB + '", "jobs": {}}'


def test_an_11_mib_json_job_is_a_413_naming_the_limit(api, seeded, log):
    response = post_json(api, JOBS, eleven_mib_job())

    assert_refused_in_one_line(log, response, 413, "POST /api/v1/jobs/")
    body = response.json()
    assert body["limit_bytes"] == 10 * 1024 * 1024
    assert "larger than 10 MiB (STUDIO_MAX_REQUEST_BYTES)" in body["detail"]


def test_an_11_mib_endpoint_invocation_is_a_413(key, log):
    log.clear()

    response = post_json(with_key(key), RUNS, eleven_mib_job())

    assert_refused_in_one_line(log, response, 413, f"POST {RUNS}")
    assert response.json()["limit_bytes"] == 10 * 1024 * 1024


def test_the_limit_follows_the_setting_and_uploaded_files_do_not_count(api, seeded, settings, log):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    big = '{"type": "pipeline", "description": "' + "a" * 100_000 + '", "jobs": {}}'

    refused = post_json(api, JOBS, big)
    uploaded = post_yaml(
        api,
        DATA,
        "name: big-csv\ntype: uri_file\npath: ./big.csv\n",
        name="data.yml",
        path=SimpleUploadedFile("big.csv", b"x,y\n" + b"1,2\n" * 50_000),
    )

    assert refused.status_code == 413 and refused.json()["limit_bytes"] == 65536
    assert "larger than 65536 bytes" in refused.json()["detail"]
    assert uploaded.status_code == 201, uploaded.json()  # 200 KB of file, over the body limit


def test_studio_max_request_bytes_sets_the_limit_and_a_bad_value_names_it(tmp_path):
    def settings_with(value: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "STUDIO_HOME": str(tmp_path), "STUDIO_MAX_REQUEST_BYTES": value}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        code = "import config.settings as s; print(s.DATA_UPLOAD_MAX_MEMORY_SIZE)"
        return subprocess.run(
            [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    good = settings_with("2097152")
    bad = settings_with("lots")

    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "2097152"
    assert bad.returncode != 0 and "STUDIO_MAX_REQUEST_BYTES" in bad.stderr


# --- a data asset whose path is `..` -------------------------------------------------------------


def targz() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"x,y\n1,2\n"
        info = tarfile.TarInfo("a.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("part", "content"), [("a.csv", b"x,y\n1,2\n"), ("data.tar.gz", None)], ids=["file", "archive"]
)
def test_a_uri_file_whose_path_is_dot_dot_is_a_400_naming_path(api, seeded, log, part, content):
    upload = SimpleUploadedFile(part, content if content is not None else targz())

    response = post_yaml(api, DATA, "name: up\ntype: uri_file\npath: ..\n", name="data.yml", path=upload)

    assert_refused_in_one_line(log, response, 400, "POST /api/v1/data/")
    body = response.json()
    assert list(body["errors"]) == ["path"]
    problem = body["problems"][0]
    assert (problem["file"], problem["field"], problem["line"]) == ("data.yml", "path", 3)
    assert "'..' names a folder, not a file" in problem["message"]


def test_a_uri_file_named_by_its_path_still_registers(api, seeded):
    upload = SimpleUploadedFile("upload.csv", b"x,y\n1,2\n")

    response = post_yaml(api, DATA, "name: up\ntype: uri_file\npath: ./iris.csv\n", name="d.yml", path=upload)

    assert response.status_code == 201, response.json()


# --- logging -------------------------------------------------------------------------------------


def test_a_real_server_error_keeps_its_traceback(api, seeded, log, monkeypatch):
    def broken(request):
        raise RuntimeError("a bug, not bad input")

    monkeypatch.setattr("runner.api.jobs.read_job_document", broken)

    response = post_json(api, JOBS, '{"jobs": {}}')

    assert response.status_code == 500
    assert "a bug" not in response.content.decode()
    tracebacks = [record for record in log.records if record.exc_info]
    assert len(tracebacks) == 1 and tracebacks[0].exc_info[0] is RuntimeError


def test_a_recursion_error_bug_logs_a_short_traceback(api, seeded, log, monkeypatch):
    def recurse(request, depth=0):
        return recurse(request, depth + 1)

    monkeypatch.setattr("runner.api.jobs.read_job_document", recurse)

    response = post_json(api, JOBS, '{"jobs": {}}')

    assert response.status_code == 500
    logged = "\n".join(record.getMessage() for record in log.records)
    assert "RecursionError" in logged and "last 20 frames" in logged
    assert len(logged) < 20_000


def test_django_4xx_records_lose_their_traceback_but_5xx_keep_it():
    def record(status: int) -> logging.LogRecord:
        try:
            raise ValueError("refused")
        except ValueError:
            made = logging.LogRecord("django.security.X", logging.ERROR, __file__, 1, "x", (), sys.exc_info())
        made.status_code = status
        return made

    refused, failed = record(400), record(500)
    OneLineRefusals().filter(refused)
    OneLineRefusals().filter(failed)

    assert refused.exc_info is None and failed.exc_info is not None
