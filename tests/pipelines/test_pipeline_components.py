"""Pipeline components (`type: pipeline`, issue #13 point 6): registered, used as steps, nested,
and every mistake in one named in the file and line where it was written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from pipelines.compiler import compile_pipeline, resolve_pipeline
from studio.models import Component
from studio.registry import export_asset, register_file, register_text
from studio.registry.attachments import UploadedAttachments
from studio.schemas.loading import DefinitionError, load_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("library", "computes")]

IMAGE = "studio/python:3.11-bookworm"

INNER = f"""\
type: pipeline
name: shout_then_count
version: "1"
inputs:
  text: {{type: string, default: hello}}
outputs:
  counted: {{type: uri_folder}}
jobs:
  shout:
    command: echo ${{{{inputs.text}}}} | tr a-z A-Z > ${{{{outputs.loud}}}}/text.txt
    environment: {{image: {IMAGE}}}
    inputs:
      text: ${{{{parent.inputs.text}}}}
    outputs:
      loud: {{type: uri_folder}}
  count:
    command: wc -c < ${{{{inputs.loud}}}}/text.txt > ${{{{outputs.counted}}}}/count.txt
    environment: {{image: {IMAGE}}}
    inputs:
      loud: ${{{{parent.jobs.shout.outputs.loud}}}}
    outputs:
      counted: ${{{{parent.outputs.counted}}}}
"""

MIDDLE = """\
type: pipeline
name: twice
inputs:
  text: {type: string}
outputs:
  first: {type: uri_folder}
  second: {type: uri_folder}
jobs:
  one:
    type: pipeline
    component: ./inner.yml
    inputs:
      text: ${{parent.inputs.text}}
    outputs:
      counted: ${{parent.outputs.first}}
  two:
    type: pipeline
    component: file:./inner.yml
    outputs:
      counted: ${{parent.outputs.second}}
"""

JOB = f"""\
type: pipeline
settings: {{default_compute: azureml:local}}
inputs:
  words: loud words
outputs:
  result: {{type: uri_folder}}
jobs:
  middle:
    type: pipeline
    component: ./middle.yml
    inputs:
      text: ${{{{parent.inputs.words}}}}
    outputs:
      second: ${{{{parent.outputs.result}}}}
  after:
    command: cat ${{{{inputs.first}}}}/count.txt
    environment: {{image: {IMAGE}}}
    inputs:
      first: ${{{{parent.jobs.middle.outputs.first}}}}
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def compile_file(path: Path, **options):
    document, index = load_document(path.read_bytes(), filename=str(path))
    return compile_pipeline(document, index=index, filename=str(path), base_dir=path.parent, **options)


def problems_of(path: Path) -> list[tuple[str, str, int | None, str]]:
    document, index = load_document(path.read_bytes(), filename=str(path))
    with pytest.raises(DefinitionError) as raised:
        resolve_pipeline(document, index=index, filename=str(path), base_dir=path.parent)
    return [(Path(p.file).name, p.field, p.line, p.message) for p in raised.value.problems]


def test_a_job_runs_the_steps_of_nested_pipeline_components_flat_and_lists_the_groups(tmp_path):
    write(tmp_path, {"inner.yml": INNER, "middle.yml": MIDDLE, "job.yml": JOB})

    spec = compile_file(tmp_path / "job.yml")

    assert sorted(spec.steps) == [
        "after",
        "middle.one.count",
        "middle.one.shout",
        "middle.two.count",
        "middle.two.shout",
    ]
    assert {name: group.parent for name, group in spec.groups.items()} == {
        "middle": "",
        "middle.one": "middle",
        "middle.two": "middle",
    }
    assert spec.steps["middle.one.shout"].group == "middle.one"
    # the job's input reaches the inner step through two components; the unbound one takes its default
    assert spec.steps["middle.one.shout"].inputs["text"].value == "loud words"
    assert spec.steps["middle.one.shout"].input_sources == {"text": "words"}
    assert spec.steps["middle.two.shout"].inputs["text"].value == "hello"
    # inner wiring, a group's output read outside it, and the job's output fed from two levels down
    count = spec.steps["middle.one.count"].inputs["loud"]
    assert (count.step, count.output) == ("middle.one.shout", "loud")
    after = spec.steps["after"].inputs["first"]
    assert (after.step, after.output) == ("middle.one.count", "counted")
    assert (spec.outputs["result"].step, spec.outputs["result"].output) == ("middle.two.count", "counted")
    assert spec.steps["middle.two.count"].outputs == {"counted": "result"}
    assert spec.groups["middle"].outputs["first"].step == "middle.one.count"
    assert spec.groups["middle"].component["name"] == "anonymous_component"  # a local file: anonymous
    assert spec.order().index("middle.one.count") < spec.order().index("after")


def test_a_registered_pipeline_component_pins_its_jobs_and_runs_from_the_registry(tmp_path):
    write(tmp_path, {"inner.yml": INNER})

    component, created = register_file(tmp_path / "inner.yml", kind="component")

    assert created and component.environment is None
    assert component.spec["type"] == "pipeline"
    pinned = component.spec["jobs"]
    assert pinned["shout"]["component"].startswith("azureml:anonymous_component:")
    assert "command" not in pinned["shout"]  # the inline step became an anonymous component
    assert pinned["count"]["inputs"] == {"loud": "${{parent.jobs.shout.outputs.loud}}"}
    again, created_again = register_file(tmp_path / "inner.yml", kind="component")
    assert (again.pk, created_again) == (component.pk, False)
    # exported, it registers back to the same content
    exported, _ = register_text(
        export_asset(component),
        kind="component",
        filename="x.yml",
        attachments=UploadedAttachments({}, filename="x.yml"),
    )
    assert exported.pk == component.pk

    job = tmp_path / "uses.yml"
    job.write_text(
        "type: pipeline\nsettings: {default_compute: azureml:local}\njobs:\n"
        "  inner:\n    type: pipeline\n    component: azureml:shout_then_count:1\n"
        "    inputs: {text: quiet}\n"
    )
    spec = compile_file(job)
    assert spec.groups["inner"].component["name"] == "shout_then_count"
    assert spec.steps["inner.shout"].inputs["text"].value == "quiet"
    assert spec.steps["inner.shout"].component.name == "anonymous_component"


def test_mistakes_inside_a_component_file_are_named_in_that_file_at_their_line(tmp_path):
    broken = INNER.replace("${{parent.jobs.shout.outputs.loud}}", "${{parent.jobs.shut.outputs.loud}}")
    write(tmp_path, {"inner.yml": broken})
    (tmp_path / "job.yml").write_text(
        "type: pipeline\nsettings: {default_compute: azureml:local}\njobs:\n"
        "  g:\n    type: pipeline\n    component: ./inner.yml\n"
    )

    found = problems_of(tmp_path / "job.yml")

    line = broken.splitlines().index("      loud: ${{parent.jobs.shut.outputs.loud}}") + 1
    assert ("inner.yml", "jobs.count.inputs.loud", line) in [entry[:3] for entry in found], found


def test_the_step_binding_a_pipeline_component_is_checked_against_its_ports(tmp_path):
    write(tmp_path, {"inner.yml": INNER})
    (tmp_path / "job.yml").write_text(
        "type: pipeline\nsettings: {default_compute: azureml:local}\njobs:\n"
        "  g:\n    type: pipeline\n    component: ./inner.yml\n"
        "    inputs: {txt: typo}\n    outputs: {count: '${{parent.outputs.result}}'}\n"
        "  after:\n    command: echo\n    environment: {image: studio/python:3.11-bookworm}\n"
        "    inputs: {n: '${{parent.jobs.g.outputs.nothing}}'}\n"
    )

    found = {(file, field): message for file, field, _, message in problems_of(tmp_path / "job.yml")}

    assert "has no input named 'txt'" in found[("job.yml", "jobs.g.inputs.txt")]
    assert "has no output named 'count'" in found[("job.yml", "jobs.g.outputs.count")]
    assert "has no output named 'nothing'" in found[("job.yml", "jobs.after.inputs.n")]


def test_a_required_input_left_unbound_and_an_unfed_output_are_refused(tmp_path):
    required = INNER.replace("text: {type: string, default: hello}", "text: {type: string}")
    unfed = required.replace(
        "      counted: ${{parent.outputs.counted}}\n", "      counted: {type: uri_folder}\n"
    )
    write(tmp_path, {"inner.yml": unfed})
    (tmp_path / "job.yml").write_text(
        "type: pipeline\nsettings: {default_compute: azureml:local}\njobs:\n"
        "  g:\n    type: pipeline\n    component: ./inner.yml\n"
    )

    found = problems_of(tmp_path / "job.yml")

    fields = {(file, field) for file, field, _, _ in found}
    assert ("inner.yml", "outputs.counted") in fields  # refused when registering the file
    with pytest.raises(DefinitionError) as raised:
        register_file(tmp_path / "inner.yml", kind="component")
    assert "no job output is bound" in str(raised.value)
    write(tmp_path, {"inner.yml": required})
    found = problems_of(tmp_path / "job.yml")
    assert ("job.yml", "jobs.g.inputs") in {(file, field) for file, field, _, _ in found}
    assert any("required input 'text'" in message for *_, message in found)


def test_a_pipeline_component_that_contains_itself_is_refused(tmp_path):
    (tmp_path / "loop.yml").write_text(
        "type: pipeline\nname: loop\njobs:\n  again:\n    type: pipeline\n    component: ./loop.yml\n"
    )
    (tmp_path / "job.yml").write_text(
        "type: pipeline\nsettings: {default_compute: azureml:local}\njobs:\n"
        "  g:\n    type: pipeline\n    component: ./loop.yml\n"
    )

    found = problems_of(tmp_path / "job.yml")

    assert found, "a component containing itself compiled"
    assert any(file == "loop.yml" and "contains itself" in message for file, _, _, message in found), found


def test_a_command_component_named_as_a_pipeline_step_is_refused(tmp_path):
    (tmp_path / "job.yml").write_text(
        "type: pipeline\nsettings: {default_compute: azureml:local}\njobs:\n"
        "  g:\n    type: pipeline\n    component:\n      command: echo\n"
        f"      environment: {{image: {IMAGE}}}\n"
    )

    found = problems_of(tmp_path / "job.yml")

    assert [(field, "not a pipeline component" in message) for _, field, _, message in found] == [
        ("jobs.g.component", True)
    ]


def test_resolving_a_job_with_pipeline_components_writes_nothing(tmp_path):
    write(tmp_path, {"inner.yml": INNER, "middle.yml": MIDDLE, "job.yml": JOB})
    before = Component.objects.count()
    document, index = load_document((tmp_path / "job.yml").read_bytes(), filename="job.yml")

    resolution = resolve_pipeline(document, index=index, filename="job.yml", base_dir=tmp_path)

    assert Component.objects.count() == before
    resolution.materialize()
    # inner.yml, middle.yml and the three inline steps' components (shout, count, after)
    assert Component.objects.count() == before + 5


def test_rest_registers_a_pipeline_component_whose_jobs_name_registered_components(api, tmp_path):
    write(tmp_path, {"inner.yml": INNER})
    inner, _ = register_file(tmp_path / "inner.yml", kind="component")
    document = {
        "type": "pipeline",
        "name": "outer_over_rest",
        "version": "3",
        "outputs": {"out": {"type": "uri_folder"}},
        "jobs": {
            "g": {
                "type": "pipeline",
                "component": f"azureml:{inner.name}:{inner.version}",
                "outputs": {"counted": "${{parent.outputs.out}}"},
            }
        },
    }
    body = yaml.safe_dump(document)

    created = api.post("/api/v1/components/", {"file": _upload(body)}, format="multipart")

    assert created.status_code == 201, created.content
    assert created.json()["name"] == "outer_over_rest"
    refused = api.post(
        "/api/v1/components/",
        {"file": _upload(body.replace("${{parent.outputs.out}}", "${{parent.outputs.missing}}"))},
        format="multipart",
    )
    assert refused.status_code == 400
    assert any(p["field"] == "jobs.g.outputs.counted" for p in refused.json()["problems"]), refused.json()


def _upload(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("component.yml", text.encode(), content_type="application/yaml")


def test_the_pipeline_component_corpus_files_compile(tmp_path):
    corpus = Path(__file__).resolve().parent.parent / "compat" / "corpus"
    spec = compile_file(corpus / "pipeline-group-step.yml")
    assert sorted(spec.steps) == ["after", "group.write"]
    assert textwrap.dedent(spec.steps["group.write"].inputs["message"].value) == "hello from the group"


def test_run_settings_on_a_pipeline_component_step_are_warned_as_without_effect(tmp_path):
    write(tmp_path, {"inner.yml": INNER})
    (tmp_path / "job.yml").write_text(
        "type: pipeline\nsettings: {default_compute: azureml:local}\njobs:\n"
        "  g:\n    type: pipeline\n    component: ./inner.yml\n"
        "    limits: {timeout: 60}\n    environment_variables: {A: b}\n"
    )
    document, index = load_document((tmp_path / "job.yml").read_bytes(), filename="job.yml")

    resolution = resolve_pipeline(document, index=index, filename="job.yml", base_dir=tmp_path)

    warned = {(w.field, w.line) for w in resolution.warnings}
    assert warned == {("jobs.g.limits", 7), ("jobs.g.environment_variables", 8)}
