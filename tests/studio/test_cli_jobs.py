"""`studio job` verbs: --set overrides, local files going up before submission, streaming, errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import requests

from cli import main
from cli.jobs import discovery, download, overrides, problems, submit
from cli.output import CommandError
from studio.schemas.loading import load_document
from tests.servers import start_studio
from tests.studio.cli_helpers import IRIS, cli_runner, new_token, write


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """A CLI pointed at a port nobody listens on: anything that reaches for the server fails."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("STUDIO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("STUDIO_TOKEN", "unused")


@pytest.fixture
def online(studio_server, token, monkeypatch, tmp_path):
    """The in-process CLI talking to the session's `studio up`."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("STUDIO_URL", studio_server.url)
    monkeypatch.setenv("STUDIO_TOKEN", token)
    return studio_server


@pytest.fixture
def cli(studio_server, token, tmp_path):
    """Run the `studio` console script against the session's `studio up`."""
    return cli_runner(studio_server, token, tmp_path)


# --- --set -------------------------------------------------------------------------------------


def test_it_parses_set_values_as_yaml_scalars():
    parse = overrides.parse_value
    assert parse("true") is True and parse("False") is False
    assert parse("3") == 3 and isinstance(parse("3"), int)
    assert parse("0.5") == 0.5 and isinstance(parse("0.5"), float)
    assert parse("null") is None
    assert parse("hello world") == "hello world"
    assert parse("'3'") == "3"  # quoted: a string
    assert parse("2024-01-31") == "2024-01-31"  # not a date object
    assert parse(".inf") == ".inf"  # JSON has no infinity
    assert parse("a: b") == "a: b"  # not a mapping
    assert parse("[1, 2]") == "[1, 2]"
    assert parse("") == ""
    assert overrides.parse_assignment("display_name=x=y") == (("display_name",), "x=y")


def test_it_applies_set_overrides_creating_intermediate_mappings():
    document = {"inputs": {"lr": 0.1}, "jobs": {"train": {"component": "azureml:c:1"}}}
    overrides.apply_overrides(
        document,
        [
            "inputs.lr=0.5",
            "settings.force_rerun=true",
            "jobs.train.inputs.max_iterations=50",
            "display_name=nightly run",
        ],
    )
    assert document == {
        "inputs": {"lr": 0.5},
        "settings": {"force_rerun": True},
        "jobs": {"train": {"component": "azureml:c:1", "inputs": {"max_iterations": 50}}},
        "display_name": "nightly run",
    }


def test_it_refuses_a_set_path_through_a_non_mapping():
    document = {"inputs": {"lr": 0.1}}
    with pytest.raises(CommandError) as caught:
        overrides.apply_overrides(document, ["inputs.lr.min=0"])
    assert caught.value.exit_code == 2
    assert "inputs.lr is 0.1, not a mapping" in str(caught.value)
    for malformed in ("inputs.lr", "=3", "inputs..lr=3", ".lr=3"):
        with pytest.raises(CommandError) as caught:
            overrides.apply_overrides(document, [malformed])
        assert caught.value.exit_code == 2, malformed


def test_it_exits_2_from_the_command_line_for_a_bad_set_path(tmp_path, offline, capsys):
    pipeline = write(
        tmp_path / "pipe.yml",
        """
        type: pipeline
        inputs:
          lr: 0.1
        jobs:
          a:
            component: azureml:split_data@latest
        """,
    )
    assert main(["job", "create", "-f", str(pipeline), "--set", "inputs.lr.min=0"]) == 2
    assert "inputs.lr is 0.1, not a mapping" in capsys.readouterr().err


# --- Local files -------------------------------------------------------------------------------


PIPELINE = """
type: pipeline
inputs:
  raw:
    type: uri_file
    path: ./data/iris.csv
  again:
    type: uri_file
    path: data/iris.csv
  web:
    type: uri_file
    path: https://example.com/iris.csv
  registered:
    type: uri_folder
    path: azureml:iris:1
  stored:
    type: uri_folder
    path: studio://snapshots/0000000000000000000000000000000000000000000000000000000000000000
  server:
    type: uri_folder
    path: /srv/data/iris
  rate: 0.5
jobs:
  local_file:
    component: ./components/train/component.yml
    inputs:
      table:
        type: uri_folder
        path: ./data
      raw: ${{parent.inputs.raw}}
  same_file:
    component: components/train/component.yml
  registered:
    component: azureml:split_data:1
  latest:
    component: split_data@latest
  inline:
    component:
      type: command
      code: ./inline_src
      environment: azureml:sklearn-1.5@latest
      command: python run.py
  inline_remote:
    component:
      type: command
      environment: azureml:sklearn-1.5@latest
      command: echo hi
"""


def make_project(root: Path) -> Path:
    write(root / "data" / "iris.csv", "a,b\n1,2\n")
    write(root / "components" / "train" / "component.yml", "name: train\n")
    write(root / "inline_src" / "run.py", "print('hi')\n")
    return write(root / "pipe.yml", PIPELINE)


def test_it_reads_a_component_file_written_with_azures_file_prefix(tmp_path):
    write(tmp_path / "hello.yml", "name: hello\n")
    pipeline = write(
        tmp_path / "pipe.yml",
        "jobs:\n  a:\n    component: file:./hello.yml\n  b:\n    component: file:./gone.yml\n",
    )
    document, index = load_document(pipeline.read_bytes(), filename=str(pipeline))
    plan = discovery.discover(document, base=tmp_path, index=index, filename=str(pipeline))
    assert [(c.job, c.file) for c in plan.components] == [("a", tmp_path / "hello.yml")]
    assert [(p.field, p.line) for p in plan.problems] == [("jobs.b.component", 5)]


def test_it_uploads_the_docker_build_context_of_a_jobs_own_environment(tmp_path):
    write(tmp_path / "context" / "Dockerfile", "FROM studio/python:3.11-bookworm\n")
    job = write(
        tmp_path / "job.yml",
        "command: echo hi\nenvironment:\n  build:\n    path: ./context\n",
    )
    document, index = load_document(job.read_bytes(), filename=str(job))
    plan = discovery.discover(document, base=tmp_path, index=index, filename=str(job))
    assert plan.problems == []
    assert [(d.field, d.kind) for d in plan.data] == [(("environment", "build", "path"), "folder")]
    digest = "f" * 64
    result = discovery.rewrite(
        document, plan, register=None, upload=lambda data: f"studio://snapshots/{digest}"
    )
    assert result["environment"]["build"] == {"path": f"studio://snapshots/{digest}"}

    document["environment"]["build"]["path"] = "./gone"
    plan = discovery.discover(document, base=tmp_path, index=index, filename=str(job))
    assert [(p.field, p.line) for p in plan.problems] == [("environment.build.path", 4)]


def test_it_finds_local_components_and_data_and_rewrites_only_those(tmp_path):
    pipeline = make_project(tmp_path)
    document, index = load_document(pipeline.read_bytes(), filename=str(pipeline))
    plan = discovery.discover(document, base=tmp_path, index=index, filename=str(pipeline))
    assert plan.problems == []
    assert [(c.job, c.file is not None) for c in plan.components] == [
        ("local_file", True),
        ("same_file", True),
        ("inline", False),
    ]
    assert [(d.field, d.kind) for d in plan.data] == [
        (("inputs", "raw", "path"), "file"),
        (("inputs", "again", "path"), "file"),
        (("jobs", "local_file", "inputs", "table", "path"), "folder"),
    ]
    registered, uploaded = [], []

    def register(component):
        registered.append(component.job)
        return f"azureml:{component.job}_registered:1"

    def upload(data):
        uploaded.append((data.target.name, data.kind))
        return f"studio://snapshots/{len(uploaded):064d}"

    result = discovery.rewrite(document, plan, register=register, upload=upload)
    # each distinct file goes up once
    assert registered == ["local_file", "inline"]
    assert uploaded == [("iris.csv", "file"), ("data", "folder")]
    jobs = result["jobs"]
    assert jobs["local_file"]["component"] == "azureml:local_file_registered:1"
    assert jobs["same_file"]["component"] == "azureml:local_file_registered:1"
    assert jobs["inline"]["component"] == "azureml:inline_registered:1"
    assert jobs["registered"]["component"] == "azureml:split_data:1"
    assert jobs["latest"]["component"] == "split_data@latest"
    assert isinstance(jobs["inline_remote"]["component"], dict)
    assert result["inputs"]["raw"]["path"] == f"studio://snapshots/{1:064d}"
    assert result["inputs"]["again"]["path"] == f"studio://snapshots/{1:064d}"
    assert jobs["local_file"]["inputs"]["table"]["path"] == f"studio://snapshots/{2:064d}"
    assert jobs["local_file"]["inputs"]["raw"] == "${{parent.inputs.raw}}"
    for untouched in ("web", "registered", "stored", "server", "rate"):
        assert result["inputs"][untouched] == document["inputs"][untouched]
    assert document["inputs"]["raw"]["path"] == "./data/iris.csv"  # the original is left alone


def test_it_reports_missing_local_files_by_field_and_line(tmp_path, offline, capsys):
    pipeline = write(
        tmp_path / "pipe.yml",
        """
        type: pipeline
        inputs:
          raw:
            type: uri_file
            path: ./missing.csv
        jobs:
          a:
            component: ./nowhere/component.yml
            inputs:
              table:
                type: uri_folder
                path: ./pipe.yml
        """,
    )
    assert main(["job", "create", "-f", str(pipeline)]) == 2
    err = capsys.readouterr().err
    assert f"{pipeline}:5: inputs.raw.path: './missing.csv' does not exist" in err
    assert f"{pipeline}:8: jobs.a.component: './nowhere/component.yml' does not exist" in err
    assert (
        f"{pipeline}:12: jobs.a.inputs.table.path: './pipe.yml' is a file; a uri_folder input needs a folder"
        in err
    )
    assert "not submitted (3 problems)" in err


def test_it_reports_a_yaml_syntax_error_with_its_line(tmp_path, offline, capsys):
    pipeline = tmp_path / "broken.yml"
    pipeline.write_text("type: pipeline\njobs:\n  a:\n    component: [unclosed\n  b: 1\n")
    assert main(["job", "create", "-f", str(pipeline)]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"{re.escape(str(pipeline))}:\d+: ", err), err
    assert main(["job", "create", "-f", str(tmp_path / "absent.yml")]) == 2


def test_it_refuses_deep_yaml_anywhere_it_reads_with_the_file(tmp_path, offline, capsys):
    """YAML nested 2,000 levels (the job file, or a conda file it names) is a clear refusal naming
    the file, never a RecursionError's traceback."""
    deep = "a: " + "[" * 2000 + "]" * 2000 + "\n"
    pipeline = tmp_path / "deep.yml"
    pipeline.write_text(deep)
    assert main(["job", "create", "-f", str(pipeline)]) == 2
    err = capsys.readouterr().err
    assert f"{pipeline}" in err and "nested deeper than 100 levels" in err, err
    assert "Traceback" not in err

    conda = tmp_path / "conda.yml"
    conda.write_text("name: x\ndependencies: " + "[" * 2000 + "]" * 2000 + "\n")
    job = write(
        tmp_path / "job.yml",
        """
        command: echo hi
        environment:
          image: python:3.11
          conda_file: ./conda.yml
        """,
    )
    assert main(["job", "create", "-f", str(job)]) == 2
    err = capsys.readouterr().err
    assert f"{job}:4: environment.conda_file: './conda.yml' cannot be read as a conda file ({conda}" in err, (
        err
    )
    assert "nested deeper than 100 levels" in err
    assert "Traceback" not in err


def test_it_locates_api_problems_in_the_pipeline_file():
    assert problems.parse_field("jobs.train.compute") == ("jobs", "train", "compute")
    assert problems.parse_field("inputs.x[2].path") == ("inputs", "x", 2, "path")

    class Response:
        def json(self):
            return {
                "detail": "request body: jobs.train.compute: nope",
                "problems": [
                    {"file": "request body", "field": "jobs.train.compute", "line": None, "message": "nope"},
                    {"file": "conda.yml", "field": "dependencies", "line": 3, "message": "bad"},
                ],
            }

    text = "type: pipeline\njobs:\n  train:\n    component: azureml:c:1\n    compute: azureml:nope\n"
    _, index = load_document(text, filename="p.yml")
    found = submit.submit_problems(Response(), pipeline=Path("p.yml"), index=index)
    assert [str(problem) for problem in found.problems] == [
        "p.yml:5: jobs.train.compute: nope",
        "conda.yml:3: dependencies: bad",
    ]


def test_it_keeps_downloads_inside_the_target_folder(tmp_path):
    target = download.safe_target(tmp_path, "split", "first_dataset", "sub/data.csv")
    assert target == (tmp_path / "split" / "first_dataset" / "sub" / "data.csv").resolve()
    for relative in ("../x", "a/../../x", "/etc/passwd", "", "a/..", "a\\..\\b"):
        with pytest.raises(CommandError):
            download.safe_target(tmp_path, "split", "first_dataset", relative)
    inner = download.safe_target(tmp_path, "outer.inner.copy", "copied", "data.csv")
    assert inner == (tmp_path / "outer.inner.copy" / "copied" / "data.csv").resolve()
    for step, output in (
        ("..", "o"),
        (".", "o"),
        (".hidden", "o"),
        ("a..b", "o"),
        ("s", "../o"),
        ("s/t", "o"),
    ):
        with pytest.raises(CommandError):
            download.safe_target(tmp_path, step, output, "data.csv")


# --- Streaming: tests/studio/test_cli_job_stream.py ------------------------------------------


# --- Against a real `studio up` ----------------------------------------------------------------


COMPONENT = """
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: {name}
inputs:
  table:
    type: uri_folder
outputs:
  result:
    type: uri_folder
code: ./src
environment: azureml:sklearn-1.5@latest
command: python main.py --table ${{{{inputs.table}}}} --out ${{{{outputs.result}}}}
"""


def test_it_registers_local_components_and_uploads_data_before_submitting(
    tmp_path, online, capsys, monkeypatch
):
    component_name, inline_name = unique("cli_job_local"), unique("cli_job_inline")
    write(tmp_path / "comp" / "src" / "main.py", "print('local component')\n")
    write(tmp_path / "comp" / "component.yml", COMPONENT.format(name=component_name))
    write(tmp_path / "inline_src" / "run.py", "print('inline component')\n")
    write(tmp_path / "data" / "table" / "data.csv", "a,b\n1,2\n")
    write(tmp_path / "data" / "iris.csv", "x,y\n3,4\n")
    pipeline = write(
        tmp_path / "pipe.yml",
        f"""
        type: pipeline
        display_name: CLI upload test
        inputs:
          raw:
            type: uri_file
            path: ./data/iris.csv
        jobs:
          first:
            component: ./comp/component.yml
            compute: azureml:placeholder
            inputs:
              table:
                type: uri_folder
                path: data/table
          second:
            component:
              name: {inline_name}
              type: command
              code: ./inline_src
              environment: azureml:sklearn-1.5@latest
              inputs:
                source:
                  type: uri_file
              command: python run.py ${{{{inputs.source}}}}
            inputs:
              source: ${{{{parent.inputs.raw}}}}
        """,
    )
    sent: list[dict] = []
    real_call = submit.api_call

    def recording(client, method, path, **kwargs):
        if path == "jobs/":
            sent.append(json.loads(kwargs["data"]))
        return real_call(client, method, path, **kwargs)

    monkeypatch.setattr(submit, "api_call", recording)
    code = main(
        ["job", "create", "-f", str(pipeline), "--set", "jobs.first.compute=azureml:no_such_compute_here"]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    # the server answered 400 for the compute: located in the pipeline file, nothing submitted
    assert f"{pipeline}:10: jobs.first.compute: " in err
    assert "no_such_compute_here" in err
    assert "not submitted (1 problem)" in err
    [document] = sent
    first, second = document["jobs"]["first"], document["jobs"]["second"]
    # the job's own components are anonymous: content-addressed, never the named versions
    assert re.fullmatch(r"azureml:anonymous_component:[0-9a-f]{16}", first["component"])
    assert re.fullmatch(r"azureml:anonymous_component:[0-9a-f]{16}", second["component"])
    assert re.fullmatch(r"studio://snapshots/[0-9a-f]{64}", document["inputs"]["raw"]["path"])
    assert re.fullmatch(r"studio://snapshots/[0-9a-f]{64}", first["inputs"]["table"]["path"])
    assert first["compute"] == "azureml:no_such_compute_here"
    assert f"Registered anonymous component {component_name} (" in err
    # the registered components carry the uploaded code; no named version was made
    headers = {"Authorization": f"Bearer {os.environ['STUDIO_TOKEN']}"}
    for reference in (first["component"], second["component"]):
        version = reference.rsplit(":", 1)[1]
        url = f"{online.url}/api/v1/components/anonymous_component/{version}/"
        component = requests.get(url, headers=headers, timeout=10)
        assert component.status_code == 200, component.text
        assert component.json()["code_digest"]
    for name in (component_name, inline_name):
        named = requests.get(f"{online.url}/api/v1/components/{name}/1/", headers=headers, timeout=10)
        assert named.status_code == 404, named.text
    # submitting again finds the identical registrations
    sent.clear()
    assert main(["job", "create", "-f", str(pipeline), "-o", "json", "--set", "jobs.first.compute=nope"]) == 2
    captured = capsys.readouterr()
    assert f"Using the identical anonymous component {component_name} (" in captured.err
    problems = json.loads(captured.err[captured.err.index("{") :])["problems"]
    assert problems[0]["field"] == "jobs.first.compute" and problems[0]["line"] == 10
    assert sent[0]["jobs"]["first"]["component"] == first["component"]


def test_it_reports_a_bad_local_component_with_its_own_file(tmp_path, online, capsys):
    write(tmp_path / "comp" / "src" / "main.py", "print('x')\n")
    component = write(
        tmp_path / "comp" / "component.yml",
        """
        type: command
        name: cli_job_bad_component
        code: ./src
        environment: azureml:no_such_environment:1
        command: python main.py
        """,
    )
    pipeline = write(
        tmp_path / "pipe.yml",
        """
        type: pipeline
        jobs:
          a:
            component: comp/component.yml
        """,
    )
    assert main(["job", "create", "-f", str(pipeline)]) == 2
    err = capsys.readouterr().err
    assert f"{component}:4: environment: " in err, err


def test_it_shows_an_unknown_job_with_the_api_message(cli):
    for verb in ("show", "stream", "cancel", "rerun", "download"):
        result = cli("job", verb, "no_such_job_here")
        assert result.returncode == 1, (verb, result.stderr)
        assert "HTTP 404: No PipelineJob matches the given query." in result.stderr, (verb, result.stderr)
    result = cli("job", "show", "no_such_job_here", "-o", "json")
    assert result.returncode == 1
    assert "404" in json.loads(result.stderr)["error"]


def test_it_lists_jobs_with_filters(cli):
    result = cli("job", "list", "--status", "completed", "--experiment", unique("nothing"), "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    result = cli("job", "list", "--experiment", unique("nothing"))
    assert result.returncode == 0 and "No jobs found." in result.stdout
    result = cli("job", "list", "--status", "sleeping")
    assert result.returncode == 2 and "one of NotStarted" in result.stderr


# --- End to end: a real job on the `local` compute ---------------------------------------------


@pytest.fixture(scope="module")
def running_server():
    """A `studio up` whose home the step user can reach.

    Local steps run as an unprivileged user when the tests run as root, and the session's
    server lives under pytest's /tmp/pytest-of-USER, which only its owner may enter.
    """
    home = Path(tempfile.mkdtemp(prefix="studio-cli-jobs-"))
    home.chmod(0o755)
    server = start_studio(home / "home")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def test_it_runs_a_pipeline_with_stream_and_downloads_its_outputs(running_server, tmp_path):
    cli = cli_runner(running_server, new_token(running_server), tmp_path)
    shutil.copy(IRIS, tmp_path / "iris.csv")
    pipeline = write(
        tmp_path / "pipe.yml",
        """
        type: pipeline
        display_name: CLI end to end
        settings:
          default_compute: azureml:local
        inputs:
          raw:
            type: uri_file
            path: ./iris.csv
        jobs:
          load:
            component: azureml:import_csv@latest
            inputs:
              source_file: ${{parent.inputs.raw}}
          split:
            component: azureml:split_data@latest
            inputs:
              dataset: ${{parent.jobs.load.outputs.dataset}}
              fraction: 0.5
        """,
    )
    name = unique("cli_e2e")
    result = cli(
        "job",
        "create",
        "-f",
        str(pipeline),
        "--name",
        name,
        "--stream",
        "--set",
        "jobs.split.inputs.fraction=0.8",
        timeout=900,
    )
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert f"Submitted job {name} (" in output
    stamp = r"^\[\d\d:\d\d:\d\d\] "
    assert re.search(stamp + r"load: (Queued|Preparing|Running)$", output, re.M), output
    assert re.search(stamp + r"load: Completed$", output, re.M), output
    assert re.search(stamp + r"split: Completed$", output, re.M), output
    assert re.search(stamp + rf"Job {name} Completed$", output, re.M), output
    lines = output.splitlines()
    imported = (
        "Imported 150 rows and 5 columns: sepal_length, sepal_width, petal_length, petal_width, species"
    )
    assert lines.count(f"load  | {imported}") == 1, output
    assert lines.count("split | Split 150 rows into 120 (first) and 30 (second), seed 42") == 1, output

    shown = cli("job", "show", name, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    job = json.loads(shown.stdout)
    assert job["id"] == name and job["status"] == "Completed"
    assert {step["name"]: step["status"] for step in job["steps"]} == {
        "load": "Completed",
        "split": "Completed",
    }

    target = tmp_path / "downloaded"
    download = cli("job", "download", name, "--step", "split", "--path", str(target))
    assert download.returncode == 0, download.stderr
    first = (target / "split" / "first_dataset" / "data.csv").read_text().splitlines()
    second = (target / "split" / "second_dataset" / "data.csv").read_text().splitlines()
    assert first[0] == second[0] == "sepal_length,sepal_width,petal_length,petal_width,species"
    assert (len(first) - 1, len(second) - 1) == (120, 30)
    assert not (target / "load").exists()

    # an ended job cannot be cancelled; a rerun reuses the deterministic split
    assert cli("job", "cancel", name).returncode == 1
    rerun = cli("job", "rerun", name, "--stream", timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert re.search(rf"split: Completed \(reused from {name}/split\)$", rerun.stdout, re.M), rerun.stdout


def test_it_validates_and_runs_a_command_job_with_local_code(running_server, tmp_path):
    """A standalone Azure ML command job: its code folder goes up, warnings are printed with their
    lines, `validate` runs nothing and `create` runs it as a job of one step."""
    cli = cli_runner(running_server, new_token(running_server), tmp_path)
    write(tmp_path / "numbers.csv", "1\n2\n3\n")
    write(
        tmp_path / "src" / "main.py",
        """
        import os, sys
        from pathlib import Path
        total = sum(int(line) for line in Path(sys.argv[1]).read_text().split())
        print(f"hello {os.environ['WHO']} {int(sys.argv[2]) * total}")
        Path(sys.argv[3], "total.txt").write_text(str(total))
        """,
    )
    job_file = write(
        tmp_path / "job.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        type: command
        code: ./src
        command: python main.py ${{inputs.numbers}} ${{inputs.times}} ${{outputs.result}}
        environment: azureml:python-3.11@latest
        compute: azureml:local
        inputs:
          numbers:
            type: uri_file
            path: ./numbers.csv
          times: 3
        outputs:
          result:
            type: uri_folder
        environment_variables:
          WHO: the cli
        services:
          notebook:
            type: jupyter_lab
        """,
    )
    warning = f"warning: {job_file}:17: services: interactive services"

    checked = cli("job", "validate", "-f", str(job_file), timeout=300)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == f"{job_file}: valid (1 step: main); 1 warning"
    assert warning in checked.stderr

    name = unique("cli_command_job")
    result = cli("job", "create", "-f", str(job_file), "--name", name, "--stream", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert warning in result.stderr
    assert re.search(r"main: Completed$", result.stdout, re.M), result.stdout
    assert "hello the cli 18" in result.stdout
