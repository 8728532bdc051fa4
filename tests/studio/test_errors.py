"""One error hierarchy: a StudioError says its status; the API renders it once, pages once."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from config.urls import urlpatterns as studio_urlpatterns
from designer.actions import StaleRevision
from runner.executors.base import ExecutorError
from runner.executors.docker import DockerUnavailable
from studio.errors import Problem, ProblemsError, StudioError
from studio.models.assets import ImmutableAssetError
from studio.references import ReferenceError
from studio.schemas import loading
from studio.schemas.command import CommandTemplateError
from studio.schemas.loading import DefinitionError

IN_A_FILE = Problem("pipeline.yml", "jobs.train.compute", "names no compute", 7)
ON_A_GRAPH = Problem(
    field="nodes.train-1.inputs.dataset", message="is not bound", node="train-1", port="dataset"
)


def raising(error: Exception):
    """A page view that fails with `error`."""

    def view(request):
        raise error

    return view


class Raising(APIView):
    """An API view that fails with the error it is given."""

    permission_classes = [AllowAny]
    error: Exception = StudioError("unset")

    def get(self, request):
        raise self.error


urlpatterns = [
    path("errors-test/conflict/", raising(StudioError("the name is taken", status=409, field="name"))),
    path("errors-test/problems/", raising(DefinitionError([IN_A_FILE, IN_A_FILE]))),
    path("api/errors-test/plain/", raising(StudioError("no such thing", status=404))),
    *studio_urlpatterns,
]


def api_answer(error: Exception):
    view = Raising.as_view(error=error)
    response = view(APIRequestFactory().get("/api/v1/errors-test/"))
    return response.status_code, response.data


# --- problems ------------------------------------------------------------------------------------


def test_it_says_where_a_problem_is():
    assert str(IN_A_FILE) == "pipeline.yml:7: jobs.train.compute: names no compute"
    assert str(Problem("conda.yml", "", "is empty")) == "conda.yml: is empty"
    assert str(ON_A_GRAPH) == "nodes.train-1.inputs.dataset: is not bound"
    assert IN_A_FILE.as_dict() == {
        "file": "pipeline.yml",
        "field": "jobs.train.compute",
        "line": 7,
        "message": "names no compute",
    }
    assert ON_A_GRAPH.as_dict() == {
        "node": "train-1",
        "port": "dataset",
        "field": "nodes.train-1.inputs.dataset",
        "line": None,
        "message": "is not bound",
    }


def test_it_refuses_a_problem_without_a_message():
    with pytest.raises(TypeError):
        Problem("a.yml", "name")


def test_the_definition_problem_is_the_one_problem():
    assert loading.Problem is Problem
    error = DefinitionError.single("env.yml", "image", "is required", 3)
    assert isinstance(error, ProblemsError) and isinstance(error, ValueError)
    assert str(error) == "env.yml:3: image: is required"
    assert error.errors_by_field() == {"image": ["is required (env.yml:3)"]}


# --- statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DefinitionError([IN_A_FILE]), 400),
        (ReferenceError("azureml:nope:1 is not registered"), 400),
        (CommandTemplateError("inputs.data has no value"), 400),
        (ImmutableAssetError("env:1 is registered; register a new version"), 409),
        (StaleRevision(4, sent=3), 409),
        (ExecutorError("cannot start step"), 503),
        (DockerUnavailable("No Docker engine answers"), 503),
    ],
)
def test_each_user_facing_error_is_a_studio_error_with_its_status(error, status):
    assert isinstance(error, StudioError)
    assert error.status == status


# --- the API -------------------------------------------------------------------------------------


def test_the_api_renders_a_studio_error_with_its_status_and_field():
    status, body = api_answer(StudioError("the name is taken", status=409, field="name"))

    assert status == 409
    assert body == {"detail": "the name is taken", "errors": {"name": ["the name is taken"]}}


def test_the_api_renders_an_error_on_no_field_with_no_errors():
    status, body = api_answer(ImmutableAssetError("env:1 cannot change"))

    assert (status, body) == (409, {"detail": "env:1 cannot change", "errors": {}})


def test_the_api_renders_every_problem_of_a_problems_error():
    status, body = api_answer(ProblemsError([IN_A_FILE, ON_A_GRAPH, Problem("p.yml", "", "is empty")]))

    assert status == 400
    assert body["detail"] == "3 problems; first: pipeline.yml:7: jobs.train.compute: names no compute"
    assert body["errors"] == {
        "jobs.train.compute": ["names no compute (pipeline.yml:7)"],
        "nodes.train-1.inputs.dataset": ["is not bound"],
        "document": ["is empty (p.yml)"],
    }
    assert body["problems"] == [
        IN_A_FILE.as_dict(),
        ON_A_GRAPH.as_dict(),
        Problem("p.yml", "", "is empty").as_dict(),
    ]


def test_the_api_renders_the_extra_keys_of_a_stale_revision():
    status, body = api_answer(StaleRevision(5, sent=4))

    assert status == 409
    assert body == {
        "detail": "This draft was changed elsewhere (revision 5); reload to see it",
        "errors": {"revision": ["is 4, but the draft is at revision 5 now"]},
        "current_revision": 5,
    }


def test_a_real_route_answers_a_definition_error_with_its_problems(api):
    response = api.post("/api/v1/environments/", {"name": "x", "version": "1"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors", "problems"}
    assert body["problems"] and all(problem["file"] == "request body" for problem in body["problems"])


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_a_page_renders_a_studio_error_with_its_status(client, user):
    client.force_login(user)

    response = client.get("/errors-test/conflict/")

    assert response.status_code == 409
    assert [template.name for template in response.templates][:1] == ["error.html"]
    assert "Conflict" in response.content.decode()
    assert "the name is taken" in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_page_lists_every_problem_of_a_problems_error(client, user):
    client.force_login(user)

    response = client.get("/errors-test/problems/")

    assert response.status_code == 400
    page = response.content.decode()
    assert "2 problems; first: pipeline.yml:7: jobs.train.compute: names no compute" in page
    assert page.count("<li>pipeline.yml:7: jobs.train.compute: names no compute</li>") == 2


@pytest.mark.urls(__name__)
def test_a_plain_view_under_the_api_answers_json(client, user):
    client.force_login(user)

    response = client.get("/api/errors-test/plain/")

    assert response.status_code == 404
    assert response.json() == {"detail": "no such thing", "errors": {}}


def test_a_snapshot_that_cannot_be_stored_is_a_400_on_the_file_part(api, studio_home):
    upload = SimpleUploadedFile("data.tar.gz", b"this is no archive")
    response = api.post("/api/v1/snapshots/", {"file": upload, "kind": "folder"}, format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]
    assert body["errors"] == {"file": [body["detail"]]}


def test_an_api_address_with_nothing_there_is_a_404_in_the_error_shape(client, user):
    client.force_login(user)

    response = client.get("/api/v1/nothing-lives-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Nothing at /api/v1/nothing-lives-here/.", "errors": {}}
