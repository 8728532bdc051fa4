"""Publishing: from YAML, a draft and a job; versions, defaults, the typed parameter schema."""

from __future__ import annotations

import textwrap

import pytest
from django.core.exceptions import ValidationError

from endpoints.models import EndpointVersion
from endpoints.parameters import build_parameters
from pipelines.compiler import compile_pipeline
from studio.schemas.loading import load_document
from tests.designer.graphs import iris_graph
from tests.endpoints.pipelines import SPLIT_PIPELINE, publish

pytestmark = pytest.mark.django_db


def parameters_of(text: str) -> dict[str, dict]:
    document, index = load_document(textwrap.dedent(text), filename="p.yml")
    spec = compile_pipeline(document, index=index, filename="p.yml")
    return {p["name"]: p for p in build_parameters(spec)}


def test_the_schema_takes_types_from_declarations_values_and_ports(seeded):
    parameters = parameters_of(SPLIT_PIPELINE)

    assert parameters["fraction"] == {
        "name": "fraction",
        "kind": "value",
        "type": "number",
        "default": 0.7,
        "optional": False,
        "required": False,
        "min": 0.01,
        "max": 0.99,
        "description": "The share of rows that go to the first output.",
        "feeds": ["split.fraction"],
    }
    assert parameters["seed"]["type"] == "integer"
    assert parameters["seed"]["description"] == "Shuffle seed"  # the declared one wins over the port's
    assert (parameters["seed"]["min"], parameters["seed"]["max"]) == (0, 4294967295)
    assert parameters["label"]["type"] == "string" and parameters["label"]["optional"] is True
    assert parameters["raw"]["kind"] == "data"
    assert parameters["raw"]["type"] == "uri_file" and parameters["raw"]["default"] == "iris:1"


def test_bare_literals_take_their_type_from_the_value_and_the_ports(seeded):
    parameters = parameters_of(
        """\
        settings: {default_compute: azureml:local}
        inputs:
          trees: 20
          fraction: 0.5
          name: species
          ratio: 1.8
          algorithm: random_forest
          unused: 3
        jobs:
          load:
            component: azureml:import_csv:1
            inputs:
              source_file: {type: uri_file, path: azureml:iris:1}
          split:
            component: azureml:split_data:1
            inputs:
              dataset: ${{parent.jobs.load.outputs.dataset}}
              fraction: ${{parent.inputs.fraction}}
          train:
            component: azureml:train_model:1
            inputs:
              dataset: ${{parent.jobs.split.outputs.first_dataset}}
              label_column: ${{parent.inputs.name}}
              n_estimators: ${{parent.inputs.trees}}
              algorithm: ${{parent.inputs.algorithm}}
        """
    )

    assert parameters["trees"]["type"] == "integer"  # 20 feeding an integer port
    assert (parameters["trees"]["min"], parameters["trees"]["max"]) == (1, 5000)
    assert parameters["fraction"]["type"] == "number"
    assert parameters["name"]["type"] == "string"
    assert parameters["ratio"]["type"] == "number" and parameters["ratio"]["feeds"] == []
    assert parameters["unused"]["type"] == "integer"
    assert parameters["algorithm"]["enum"] == ["logistic_regression", "random_forest", "linear_regression"]


def test_publishing_yaml_creates_the_endpoint_and_numbers_versions(api, seeded, user):
    first = publish(api, description="nightly split")

    assert first["name"] == "split-iris" and first["status"] == "Active"
    assert first["published_version"] == 1 and first["default_version"] == 1
    assert first["created_by"] == "ada"
    assert [v["number"] for v in first["versions"]] == [1]
    assert first["versions"][0]["source"] == "yaml"
    assert [s["component"] for s in first["versions"][0]["steps"]] == ["import_csv:1", "split_data:1"]

    second = publish(api)
    assert second["published_version"] == 2 and second["default_version"] == 1  # not made default
    third = publish(api, make_default=True)
    assert third["published_version"] == 3 and third["default_version"] == 3

    version = EndpointVersion.objects.get(endpoint__name="split-iris", number=1)
    assert version.spec["steps"]["split"]["component"]["version"] == "1"  # exact versions frozen
    version.description = "changed"
    with pytest.raises(ValidationError, match="cannot change"):
        version.save()


def test_publishing_a_draft_and_a_job(api, seeded):
    draft = api.post("/api/v1/drafts/", {"name": "Iris", "graph": iris_graph()}, format="json").json()
    from_draft = api.post("/api/v1/endpoints/", {"name": "iris-train", "draft": draft["id"]}, format="json")
    assert from_draft.status_code == 201, from_draft.json()
    version = from_draft.json()["versions"][0]
    assert version["source"] == "draft" and version["source_ref"] == str(draft["id"])
    assert {s["name"] for s in version["steps"]} == {"load_1", "split_1", "train_1"}

    job = api.post(f"/api/v1/drafts/{draft['id']}/submit/", {}, format="json").json()["id"]
    from_job = api.post("/api/v1/endpoints/", {"name": "iris-train", "job": job}, format="json")
    assert from_job.status_code == 201
    assert from_job.json()["versions"][0] == {
        **from_job.json()["versions"][0],
        "source": "job",
        "source_ref": job,
    }
    assert from_job.json()["published_version"] == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "Bad Name", "yaml": SPLIT_PIPELINE}, 400, "name"),
        ({"name": "-x", "yaml": SPLIT_PIPELINE}, 400, "name"),
        ({"name": "ok"}, 400, "source"),
        ({"name": "ok", "yaml": SPLIT_PIPELINE, "job": "x"}, 400, "source"),
        ({"name": "ok", "job": "no_such_job"}, 404, "job"),
        ({"name": "ok", "draft": 999}, 404, "draft"),
        ({"name": "ok", "draft": "abc"}, 404, "draft"),
        ({"name": "ok", "yaml": "jobs: [1\n"}, 400, None),
        (
            {"name": "ok", "yaml": SPLIT_PIPELINE.replace("split_data:1", "split_data:9")},
            400,
            "jobs.split.component",
        ),
        ({"name": "ok", "pipeline": [1]}, 400, None),
        (7, 400, None),  # not an object at all (was a 500; found by tests/faults/test_api_schema.py)
        (["yaml"], 400, None),
    ],
)
def test_bad_publish_requests_are_refused_with_the_field(api, seeded, body, status, field):
    response = api.post("/api/v1/endpoints/", body, format="json")

    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["errors"], response.json()
    assert not EndpointVersion.objects.exists()


def test_default_version_and_status_can_change(api, seeded):
    publish(api)
    publish(api)

    assert (
        api.patch("/api/v1/endpoints/split-iris/", {"default_version": 2}, format="json").json()[
            "default_version"
        ]
        == 2
    )
    missing = api.patch("/api/v1/endpoints/split-iris/", {"default_version": 9}, format="json")
    assert missing.status_code == 404 and "no version 9" in missing.json()["detail"]
    assert (
        api.patch("/api/v1/endpoints/split-iris/", {"status": "Disabled"}, format="json").json()["status"]
        == "Disabled"
    )
    assert api.patch("/api/v1/endpoints/split-iris/", {"status": "Off"}, format="json").status_code == 400
    assert api.patch("/api/v1/endpoints/split-iris/", {"name": "x"}, format="json").status_code == 400
