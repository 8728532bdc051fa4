"""The drafts API: CRUD with revisions, soft delete, duplicate, validate, submit, clone, and the pages."""

from __future__ import annotations

import copy
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from designer.models import PipelineDraft
from pipelines.spec import PipelineSpec
from runner.models import PipelineJob
from tests.designer.graphs import component, edge, iris_graph


def create(api, name="Iris", graph=None) -> dict:
    body = {"name": name, "description": "three steps"}
    if graph is not None:
        body["graph"] = graph
    response = api.post("/api/v1/drafts/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- CRUD ----------------------------------------------------------------------------------------


def test_drafts_are_created_listed_read_changed_and_deleted(api, user):
    empty = create(api, "Empty")
    iris = create(api, "Iris pipeline", iris_graph())

    assert empty["revision"] == 1 and empty["graph"]["nodes"] == [] and empty["created_by"] == "ada"
    assert iris["graph"]["nodes"][1]["data"]["retry_settings"]["max_retries"] == 0  # defaults filled in

    listing = api.get("/api/v1/drafts/").json()
    assert listing["count"] == 2
    first = listing["results"][0]
    assert set(first) == {
        "id", "name", "description", "revision", "created_at", "updated_at", "created_by", "last_job_name",
        "node_count",
    }  # fmt: skip
    assert {d["name"]: d["node_count"] for d in listing["results"]} == {"Empty": 0, "Iris pipeline": 5}
    filtered = api.get("/api/v1/drafts/", {"name__icontains": "IRIS"}).json()
    assert [d["name"] for d in filtered["results"]] == ["Iris pipeline"]

    detail = api.get(f"/api/v1/drafts/{iris['id']}/").json()
    assert detail["graph"] == iris["graph"]

    renamed = api.patch(f"/api/v1/drafts/{iris['id']}/", {"name": "Iris v2"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Iris v2" and renamed.json()["revision"] == 2

    graph = copy.deepcopy(iris["graph"])
    graph["nodes"][2]["data"]["inputs"]["seed"] = 11
    saved = api.patch(f"/api/v1/drafts/{iris['id']}/", {"graph": graph, "revision": 2}, format="json")
    assert saved.status_code == 200
    assert saved.json()["revision"] == 3
    assert saved.json()["graph"]["nodes"][2]["data"]["inputs"]["seed"] == 11

    replaced = api.put(
        f"/api/v1/drafts/{iris['id']}/",
        {"name": "Iris v3", "description": "", "graph": graph, "revision": 3},
        format="json",
    )
    assert replaced.status_code == 200 and replaced.json()["revision"] == 4
    incomplete = api.put(f"/api/v1/drafts/{iris['id']}/", {"name": "x"}, format="json")
    assert incomplete.status_code == 400
    assert set(incomplete.json()["errors"]) == {"graph", "revision"}

    assert api.delete(f"/api/v1/drafts/{empty['id']}/").status_code == 204


def test_the_canvas_viewport_is_saved_with_the_graph_and_left_out_of_the_yaml(api):
    draft = create(api, graph=iris_graph())
    graph = {**draft["graph"], "viewport": {"x": -120.5, "y": 48, "zoom": 0.75}}

    saved = api.patch(f"/api/v1/drafts/{draft['id']}/", {"graph": graph, "revision": 1}, format="json")

    assert saved.status_code == 200, saved.json()
    assert api.get(f"/api/v1/drafts/{draft['id']}/").json()["graph"]["viewport"] == {
        "x": -120.5,
        "y": 48,
        "zoom": 0.75,
    }
    exported = api.get(f"/api/v1/drafts/{draft['id']}/export/", HTTP_ACCEPT="application/yaml")
    assert exported.status_code == 200 and "viewport" not in exported.content.decode()


def test_saving_the_viewport_needs_no_revision_and_moves_none(api):
    draft = create(api, graph=iris_graph())
    url = f"/api/v1/drafts/{draft['id']}/"
    updated_at = PipelineDraft.objects.get(pk=draft["id"]).updated_at

    response = api.put(f"{url}viewport/", {"x": -120.5, "y": 48, "zoom": 0.75}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"x": -120.5, "y": 48, "zoom": 0.75}
    stored = api.get(url).json()
    assert stored["revision"] == 1
    assert stored["graph"]["viewport"] == {"x": -120.5, "y": 48, "zoom": 0.75}
    assert PipelineDraft.objects.get(pk=draft["id"]).updated_at == updated_at


def test_a_tab_that_only_panned_does_not_make_another_tabs_edit_conflict(api):
    # Given two tabs opened at revision 1; the second pans, then the first saves an edit
    draft = create(api, graph=iris_graph())
    url = f"/api/v1/drafts/{draft['id']}/"
    assert api.put(f"{url}viewport/", {"x": 10, "y": 20, "zoom": 0.5}, format="json").status_code == 200
    graph = copy.deepcopy(draft["graph"])
    graph["nodes"][2]["data"]["inputs"]["seed"] = 11

    saved = api.patch(url, {"graph": graph, "revision": 1}, format="json")

    # Then the edit saves, and a graph without a viewport keeps the one saved
    assert saved.status_code == 200, saved.json()
    assert saved.json()["revision"] == 2
    assert saved.json()["graph"]["viewport"] == {"x": 10, "y": 20, "zoom": 0.5}
    # And the second tab's next edit, still from revision 1, is a conflict as before
    stale = api.patch(url, {"graph": draft["graph"], "revision": 1}, format="json")
    assert stale.status_code == 409


def test_the_viewport_is_kept_beside_the_graph_and_copied_with_it(api):
    draft = create(api, graph={**iris_graph(), "viewport": {"x": 1, "y": 2, "zoom": 3}})

    stored = PipelineDraft.objects.get(pk=draft["id"])
    assert "viewport" not in stored.graph and stored.viewport == {"x": 1, "y": 2, "zoom": 3}
    copied = api.post(f"/api/v1/drafts/{draft['id']}/duplicate/").json()
    assert copied["graph"]["viewport"] == {"x": 1, "y": 2, "zoom": 3}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"x": 0, "y": 0, "zoom": -1}, "zoom"),
        ({"x": 0, "y": 0, "zoom": 11}, "zoom"),
        ({"x": "left", "y": 0, "zoom": 1}, "x"),
        ({"x": 0, "zoom": 1}, "y"),
        ({"x": 0, "y": 0, "zoom": 1, "width": 800}, "width"),
    ],
)
def test_a_bad_viewport_is_a_400_naming_the_field(api, body, field):
    draft = create(api)

    response = api.put(f"/api/v1/drafts/{draft['id']}/viewport/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert PipelineDraft.objects.get(pk=draft["id"]).viewport is None


def test_whoever_may_save_a_draft_may_save_its_viewport(api, db):
    # Whoever may save a draft's graph (its owner or an Admin) may save where its canvas looks;
    # another Member may do neither (studio.roles).
    draft = create(api)
    admin = APIClient()
    admin.force_authenticate(get_user_model().objects.create_superuser("grace", password="pw-for-tests-2"))
    member = APIClient()
    member.force_authenticate(get_user_model().objects.create_user("linus", password="pw-for-tests-3"))
    url = f"/api/v1/drafts/{draft['id']}/"

    assert admin.patch(url, {"name": "Renamed by grace"}, format="json").status_code == 200
    assert admin.put(f"{url}viewport/", {"x": 0, "y": 0, "zoom": 1}, format="json").status_code == 200
    assert member.patch(url, {"name": "Renamed by linus"}, format="json").status_code == 403
    assert member.put(f"{url}viewport/", {"x": 0, "y": 0, "zoom": 1}, format="json").status_code == 403
    assert APIClient().put(f"{url}viewport/", {"x": 0, "y": 0, "zoom": 1}, format="json").status_code in (
        401,
        403,
    )


def test_the_viewport_of_a_missing_or_deleted_draft_is_a_404(api):
    draft = create(api)
    api.delete(f"/api/v1/drafts/{draft['id']}/")

    for draft_id in (draft["id"], 999):
        response = api.put(f"/api/v1/drafts/{draft_id}/viewport/", {"x": 0, "y": 0, "zoom": 1}, format="json")
        assert response.status_code == 404


def test_the_viewport_route_is_in_the_openapi_document(client, user):
    client.force_login(user)

    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = document["paths"]["/api/v1/drafts/{id}/viewport/"]["put"]
    assert set(operation["responses"]) >= {"200", "400", "404"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][body]["properties"]) == {"x", "y", "zoom"}


def test_a_graph_change_needs_the_revision_it_was_made_from(api):
    draft = create(api)
    response = api.patch(f"/api/v1/drafts/{draft['id']}/", {"graph": draft["graph"]}, format="json")

    assert response.status_code == 400
    assert "revision" in response.json()["errors"]


def test_a_stale_save_gets_409_and_changes_nothing(api):
    draft = create(api, graph=iris_graph())
    api.patch(f"/api/v1/drafts/{draft['id']}/", {"name": "Saved elsewhere"}, format="json")
    graph = copy.deepcopy(draft["graph"])
    graph["nodes"] = graph["nodes"][:1]

    response = api.patch(
        f"/api/v1/drafts/{draft['id']}/", {"name": "Mine", "graph": graph, "revision": 1}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["current_revision"] == 2
    assert body["detail"] == "This draft was changed elsewhere (revision 2); reload to see it"
    assert body["errors"]["revision"]
    stored = PipelineDraft.objects.get(pk=draft["id"])
    assert (stored.name, stored.revision, stored.graph) == ("Saved elsewhere", 2, draft["graph"])


@pytest.mark.django_db(transaction=True)
def test_two_saves_from_the_same_revision_cannot_both_win(user):
    draft = PipelineDraft.objects.create(name="Race", created_by=user)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def save(label: str) -> None:
        client = APIClient()
        client.force_authenticate(user)
        graph = {"nodes": [component(label, "import_csv:1")]}
        try:
            barrier.wait(timeout=10)
            response = client.patch(
                f"/api/v1/drafts/{draft.pk}/", {"graph": graph, "revision": 1}, format="json"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(label,)) for label in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 409]
    draft.refresh_from_db()
    assert draft.revision == 2
    assert draft.graph["nodes"][0]["id"] in {"a", "b"}


def test_a_deleted_draft_is_hidden_everywhere(api):
    draft = create(api)

    assert api.delete(f"/api/v1/drafts/{draft['id']}/").status_code == 204

    assert api.get(f"/api/v1/drafts/{draft['id']}/").status_code == 404
    assert api.get("/api/v1/drafts/").json()["count"] == 0
    assert api.patch(f"/api/v1/drafts/{draft['id']}/", {"name": "x"}, format="json").status_code == 404
    assert api.post(f"/api/v1/drafts/{draft['id']}/validate/").status_code == 404
    assert api.delete(f"/api/v1/drafts/{draft['id']}/").status_code == 404
    assert PipelineDraft.objects.get(pk=draft["id"]).deleted_at is not None


def test_a_duplicate_is_a_new_draft_at_revision_1(api):
    draft = create(api, graph=iris_graph())
    api.patch(f"/api/v1/drafts/{draft['id']}/", {"name": "Iris"}, format="json")

    response = api.post(f"/api/v1/drafts/{draft['id']}/duplicate/")

    assert response.status_code == 201
    copy_ = response.json()
    assert copy_["id"] != draft["id"]
    assert copy_["name"] == "Copy of Iris"
    assert copy_["revision"] == 1
    assert copy_["graph"] == draft["graph"]
    assert copy_["last_job_name"] == ""


@pytest.mark.parametrize(
    ("graph", "path"),
    [
        (
            {"nodes": [{"id": "a", "type": "component", "data": {"component": "x:1"}}]},
            "graph.nodes[0].position",
        ),
        ({"nodes": [component("a", "x:1", inputs={"n": {"deep": 1}})]}, "graph.nodes[0].data.inputs.n"),
        ({"edges": [{"id": "e", "source": "a"}]}, "graph.edges[0].target"),
        ({"nodes": "all of them"}, "graph.nodes"),
        ({"settings": {"colour": "red"}}, "graph.settings.colour"),
        ({"viewport": {"x": 0, "y": 0, "zoom": -1}}, "graph.viewport.zoom"),
        ("not a graph", "graph"),
    ],
)
def test_a_badly_shaped_graph_is_a_400_naming_the_path(api, graph, path):
    response = api.post("/api/v1/drafts/", {"name": "Bad", "graph": graph}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert path in body["errors"], body
    assert "graph" in body["detail"]
    assert PipelineDraft.objects.count() == 0


def test_an_unknown_component_saves_and_is_a_validation_problem(api, library):
    draft = create(api, graph={"nodes": [component("a", "no_such_component:1")]})

    result = api.post(f"/api/v1/drafts/{draft['id']}/validate/").json()

    assert result["valid"] is False
    assert [(p["node"], p["field"]) for p in result["problems"]] == [("a", "nodes.a.component")]


# --- validate and submit -------------------------------------------------------------------------


def test_validate_reports_a_missing_input_on_its_node_and_port_and_a_cycle(api, library):
    graph = iris_graph()
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "train-1"]
    draft = create(api, graph=graph)

    result = api.post(f"/api/v1/drafts/{draft['id']}/validate/").json()

    assert result["valid"] is False
    assert result["problems"] == [
        {
            "node": "train-1",
            "port": "dataset",
            "field": "nodes.train-1.inputs.dataset",
            "line": None,
            "message": "required input of train_model is not bound",
        }
    ]

    cyclic = copy.deepcopy(draft["graph"])
    cyclic["edges"] = [
        edge("load-1", "dataset", "split-1", "dataset"),
        edge("split-1", "first_dataset", "load-1", "source_file"),
        edge("split-1", "first_dataset", "train-1", "dataset"),
    ]
    unsaved = api.post(f"/api/v1/drafts/{draft['id']}/validate/", {"graph": cyclic}, format="json").json()
    assert unsaved["valid"] is False
    assert any("cycle" in p["message"] and p["node"] in {"load-1", "split-1"} for p in unsaved["problems"])

    fine = api.post(f"/api/v1/drafts/{create(api, graph=iris_graph())['id']}/validate/").json()
    assert fine == {"valid": True, "problems": []}


def test_submit_creates_a_job_with_the_spec_and_records_it(api, library, user):
    draft = create(api, graph=iris_graph())

    response = api.post(
        f"/api/v1/drafts/{draft['id']}/submit/",
        {"experiment_name": "iris-runs", "parameters": {"label": "petal_width"}},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    job = PipelineJob.objects.get(name=body["id"])
    assert body == {"id": job.name, "status": job.status, "url": f"/jobs/{job.name}/"}
    assert job.source == "designer" and job.created_by == user
    assert job.experiment_name == "iris-runs" and job.display_name == "Iris"
    spec = PipelineSpec.model_validate(job.spec)
    assert list(spec.steps) == ["load_1", "split_1", "train_1"]
    assert spec.steps["train_1"].inputs["label_column"].value == "petal_width"
    assert job.steps.count() == 3
    stored = PipelineDraft.objects.get(pk=draft["id"])
    assert stored.last_job_name == job.name
    assert stored.revision == 1  # the graph did not change: an open canvas keeps saving
    assert stored.graph["inputs"]["label"]["value"] == "species"
    listed = api.get("/api/v1/drafts/").json()["results"][0]
    assert listed["last_job_name"] == job.name


def test_submit_refuses_a_draft_that_does_not_compile(api, library):
    graph = iris_graph()
    graph["edges"] = [e for e in graph["edges"] if e["target"] != "split-1"]
    draft = create(api, graph=graph)

    response = api.post(f"/api/v1/drafts/{draft['id']}/submit/", {"parameters": {"nope": 1}}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert [(p["node"], p["port"], p["field"]) for p in body["problems"]] == [
        (None, None, "parameters.nope"),
        ("split-1", "dataset", "nodes.split-1.inputs.dataset"),
    ]
    assert set(body["errors"]) == {"parameters.nope", "nodes.split-1.inputs.dataset"}
    assert body["detail"].startswith(f"{len(body['problems'])} problems")
    assert PipelineJob.objects.count() == 0
    assert PipelineDraft.objects.get(pk=draft["id"]).last_job_name == ""


# --- clone ---------------------------------------------------------------------------------------


def test_a_job_clones_into_a_draft_that_compiles_to_the_same_steps(api, library):
    source = create(api, graph=iris_graph())
    job_name = api.post(f"/api/v1/drafts/{source['id']}/submit/", {}, format="json").json()["id"]
    job = PipelineJob.objects.get(name=job_name)

    response = api.post(f"/api/v1/jobs/{job_name}/clone/")

    assert response.status_code == 201
    clone = response.json()
    assert clone["name"] == f"Clone of {job_name}"
    assert clone["revision"] == 1
    kinds = {node["id"]: node["type"] for node in clone["graph"]["nodes"]}
    assert kinds == {
        "iris_data": "data",
        "load_1": "component",
        "split_1": "component",
        "train_1": "component",
    }
    assert {n["data"]["component"] for n in clone["graph"]["nodes"] if n["type"] == "component"} == {
        "import_csv:1",
        "split_data:1",
        "train_model:1",
    }
    submitted = api.post(f"/api/v1/drafts/{clone['id']}/submit/", {}, format="json")
    assert submitted.status_code == 201, submitted.json()
    original = PipelineSpec.model_validate(job.spec)
    again = PipelineSpec.model_validate(PipelineJob.objects.get(name=submitted.json()["id"]).spec)
    assert again.steps == original.steps
    assert again.settings == original.settings
    assert again.outputs == original.outputs


def test_cloning_a_missing_job_is_a_404(api):
    assert api.post("/api/v1/jobs/nobody_here/clone/").status_code == 404


# --- pages ---------------------------------------------------------------------------------------


def test_the_pages_list_create_rename_duplicate_and_delete_drafts(client, user, library):
    client.force_login(user)

    created = client.post("/designer/", {"name": "From the page"})
    draft = PipelineDraft.objects.get(name="From the page")
    assert created.status_code == 302 and created["Location"] == f"/designer/{draft.pk}/"

    canvas = client.get(f"/designer/{draft.pk}/").content.decode()
    assert 'data-island="designer-canvas"' in canvas
    assert f'data-props="{{&quot;draftId&quot;: {draft.pk}}}"' in canvas

    client.post(f"/designer/{draft.pk}/rename/", {"name": "Renamed"})
    client.post(f"/designer/{draft.pk}/duplicate/")
    draft.refresh_from_db()
    assert draft.name == "Renamed" and draft.revision == 2
    page = client.get("/designer/").content.decode()
    assert "Renamed" in page and "Copy of Renamed" in page

    client.post(f"/designer/{draft.pk}/delete/")
    assert "Copy of Renamed" in client.get("/designer/").content.decode()
    assert client.get(f"/designer/{draft.pk}/").status_code == 404


def test_the_list_page_links_the_last_job_with_its_status(client, user, api, library):
    client.force_login(user)
    draft = create(api, graph=iris_graph())
    job_name = api.post(f"/api/v1/drafts/{draft['id']}/submit/", {}, format="json").json()["id"]

    page = client.get("/designer/").content.decode()

    assert f'href="/jobs/{job_name}/"' in page
    assert "badge--queued" in page


def test_the_job_page_button_clones_into_a_draft_and_opens_it(client, user, api, library):
    client.force_login(user)
    draft = create(api, graph=iris_graph())
    job_name = api.post(f"/api/v1/drafts/{draft['id']}/submit/", {}, format="json").json()["id"]

    response = client.post(f"/designer/clone/{job_name}/")

    clone = PipelineDraft.objects.get(name=f"Clone of {job_name}")
    assert response.status_code == 302 and response["Location"] == f"/designer/{clone.pk}/"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/drafts/"),
        ("post", "/api/v1/drafts/"),
        ("get", "/api/v1/drafts/1/"),
        ("patch", "/api/v1/drafts/1/"),
        ("delete", "/api/v1/drafts/1/"),
        ("put", "/api/v1/drafts/1/viewport/"),
        ("post", "/api/v1/drafts/1/duplicate/"),
        ("post", "/api/v1/drafts/1/validate/"),
        ("post", "/api/v1/drafts/1/submit/"),
        ("get", "/api/v1/drafts/1/export/"),
        ("post", "/api/v1/drafts/import/"),
        ("post", "/api/v1/jobs/x/clone/"),
    ],
)
def test_every_api_route_needs_a_signed_in_user(db, method, path):
    assert getattr(APIClient(), method)(path).status_code in (401, 403)
