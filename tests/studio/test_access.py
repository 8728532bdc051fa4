"""Who may do what (roles and ownership), route by route, from ONE table.

Each row: a label, the method, the path (placeholders filled from the world below), a body, and who
is allowed: ALL (Viewers too), MEMBERS (any Member and Admins), OWNER (the creator and Admins) or
ADMIN. Every row is tried as a Viewer, as another Member, as the owner and as an Admin, each on a
fresh world: an allowed actor never gets 401/403 (nor a 5xx); a refused one gets 403 with a reason.
Add a route by adding a row.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from designer import actions as designer_actions
from endpoints.models import EndpointInvocation, EndpointKey, EndpointVersion, PipelineEndpoint
from pipelines.spec import PipelineSpec
from runner.actions import submit_pipeline
from studio.registry import REGISTER
from studio.roles import VIEWER, role_of, set_role
from studio.schemas.loading import LineIndex
from tests import factories

ACTORS = ("viewer", "other", "owner", "admin")
ALL = frozenset(ACTORS)
MEMBERS = frozenset({"other", "owner", "admin"})
OWNER = frozenset({"owner", "admin"})
ADMIN = frozenset({"admin"})

API = "/api/v1"
EP = f"{API}/endpoints/ep"

# (label, method, path, body, allowed); a path under /api/ is called with the REST client, any other
# as a page (form posts with the Django test client).
ROUTES = [
    # reading is everyone's
    ("jobs list", "get", f"{API}/jobs/", None, ALL),
    ("job page", "get", "/jobs/{job}/", None, ALL),
    ("computes list", "get", f"{API}/computes/", None, ALL),
    ("endpoint page", "get", "/endpoints/ep/", None, ALL),
    ("own token", "post", f"{API}/tokens/", {"name": "cli"}, ALL),
    ("component columns", "get", f"{API}/components/comp/1/columns/", None, ALL),
    ("data columns", "get", f"{API}/data/rows/1/columns/", None, ALL),
    ("step table explorer", "get", f"{API}/jobs/{{job}}/steps/s/table/?output=o&path=a.csv", None, ALL),
    # jobs
    ("job submit", "post", f"{API}/jobs/", {"jobs": {}}, MEMBERS),
    ("job cancel", "post", f"{API}/jobs/{{job}}/cancel/", None, OWNER),
    ("job rerun (a new job)", "post", f"{API}/jobs/{{job}}/rerun/", None, MEMBERS),
    ("job clone", "post", f"{API}/jobs/{{job}}/clone/", None, MEMBERS),
    ("job cancel page", "post", "/jobs/{job}/cancel/", {}, OWNER),
    ("job rerun page", "post", "/jobs/{job}/rerun/", {}, MEMBERS),
    # drafts
    ("draft create", "post", f"{API}/drafts/", {"name": "mine"}, MEMBERS),
    ("draft save", "patch", f"{API}/drafts/{{draft}}/", {"name": "renamed"}, OWNER),
    ("draft viewport", "put", f"{API}/drafts/{{draft}}/viewport/", {"x": 0, "y": 0, "zoom": 1}, OWNER),
    ("draft delete", "delete", f"{API}/drafts/{{draft}}/", None, OWNER),
    ("draft submit", "post", f"{API}/drafts/{{draft}}/submit/", {}, OWNER),
    ("draft duplicate", "post", f"{API}/drafts/{{draft}}/duplicate/", None, MEMBERS),
    ("draft create page", "post", "/designer/", {"name": "mine"}, MEMBERS),
    ("draft rename page", "post", "/designer/{draft}/rename/", {"name": "renamed"}, OWNER),
    ("draft delete page", "post", "/designer/{draft}/delete/", {}, OWNER),
    ("draft duplicate page", "post", "/designer/{draft}/duplicate/", {}, MEMBERS),
    ("job clone page", "post", "/designer/clone/{job}/", {}, MEMBERS),
    ("draft from sample page", "post", "/designer/samples/classification/", {}, MEMBERS),
    # assets
    ("environment register", "post", f"{API}/environments/", {"name": "e2", "image": "python:3.12"}, MEMBERS),
    ("environment archive", "post", f"{API}/environments/env/1/archive/", None, OWNER),
    ("environment unarchive", "delete", f"{API}/environments/env/1/archive/", None, OWNER),
    ("datastore register", "post", f"{API}/datastores/", {"name": "ds", "type": "azure_blob"}, ADMIN),
    ("new data asset page", "get", "/data/new/", None, MEMBERS),
    ("new environment page", "get", "/environments/new/", None, MEMBERS),
    ("new component page", "get", "/components/new/", None, MEMBERS),
    # computes
    ("compute register", "post", f"{API}/computes/", {"name": "c2", "kind": "local"}, ADMIN),
    ("compute update", "patch", f"{API}/computes/box/", {"max_concurrent_steps": 2}, ADMIN),
    ("compute drain", "post", f"{API}/computes/box/drain/", None, ADMIN),
    ("compute resume", "post", f"{API}/computes/box/resume/", None, ADMIN),
    ("compute delete", "delete", f"{API}/computes/box/", None, ADMIN),
    ("compute drain page", "post", "/computes/box/drain/", {}, ADMIN),
    ("compute resume page", "post", "/computes/box/resume/", {}, ADMIN),
    # endpoints
    ("endpoint publish (new)", "post", f"{API}/endpoints/", {"name": "fresh", "job": "{job}"}, MEMBERS),
    ("endpoint publish (new version)", "post", f"{API}/endpoints/", {"name": "ep", "job": "{job}"}, OWNER),
    ("endpoint disable", "patch", f"{EP}/", {"status": "Disabled"}, OWNER),
    ("endpoint set default", "patch", f"{EP}/", {"default_version": 2}, OWNER),
    ("endpoint describe", "patch", f"{EP}/", {"description": "new"}, OWNER),
    ("endpoint key create", "post", f"{EP}/keys/", {"name": "k2"}, OWNER),
    ("endpoint key revoke", "post", f"{EP}/keys/{{key}}/revoke/", None, OWNER),
    ("endpoint invoke (signed in)", "post", f"{EP}/runs", {}, MEMBERS),
    ("endpoint run cancel", "post", f"{EP}/runs/{{run}}/cancel", None, OWNER),
    ("endpoint disable page", "post", "/endpoints/ep/disable/", {}, OWNER),
    ("endpoint enable page", "post", "/endpoints/ep/enable/", {}, OWNER),
    ("endpoint default page", "post", "/endpoints/ep/default/", {"version": "2"}, OWNER),
    ("endpoint key page", "post", "/endpoints/ep/keys/", {"name": "k2"}, OWNER),
    ("endpoint revoke page", "post", "/endpoints/ep/keys/{key}/revoke/", {}, OWNER),
    ("endpoint publish page", "post", "/endpoints/publish/?job={job}", {"name": "ep"}, OWNER),
    ("endpoint publish form", "get", "/endpoints/publish/?job={job}", None, MEMBERS),
    # accounts
    ("users list", "get", f"{API}/users/", None, ADMIN),
    ("user create", "post", f"{API}/users/", {"username": "newbie", "password": "a-long-pass-1"}, ADMIN),
    ("user set role", "patch", f"{API}/users/other/", {"role": "viewer"}, ADMIN),
]

EMPTY = {"steps": {}}  # a pipeline of no steps: a real job that stays Queued, with no library


def make_world() -> dict:
    """Four people and one of everything, owned by `owner`."""
    people = {
        "viewer": factories.make_user("viewer"),
        "other": factories.make_user("other"),
        "owner": factories.make_user("owner"),
        "admin": factories.make_user("admin", admin=True),
    }
    set_role(people["viewer"], VIEWER)
    owner = people["owner"]
    job = submit_pipeline(PipelineSpec.model_validate(EMPTY), user=owner)
    draft = designer_actions.create_draft(name="theirs", user=owner)
    REGISTER["environment"](
        {"name": "env", "version": "1", "image": "python:3.11-slim"},
        index=LineIndex(),
        filename="env.yml",
        attachments=None,
        user=owner,
    )
    factories.make_compute("box")
    endpoint = PipelineEndpoint.objects.create(name="ep", created_by=owner, updated_by=owner)
    versions = [
        EndpointVersion.objects.create(
            endpoint=endpoint, number=number, spec=job.spec, parameters=[], source="job", created_by=owner
        )
        for number in (1, 2)
    ]
    key, _ = EndpointKey.issue(endpoint, "k1", user=owner)
    run = submit_pipeline(PipelineSpec.model_validate(EMPTY), user=owner)
    EndpointInvocation.objects.create(
        endpoint=endpoint,
        version=versions[0],
        job=run,
        status_code=201,
        user=owner,
        caller=f"user:{owner.pk}",
    )
    return {"people": people, "job": job.name, "draft": draft.pk, "key": key.pk, "run": run.name}


def fill(value, world: dict):
    names = {"job": world["job"], "draft": world["draft"], "key": world["key"], "run": world["run"]}
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {key: fill(item, world) for key, item in value.items()}
    return value


def call(actor, method: str, path: str, body):
    """Call a route as `actor`: the REST client under /api/, a signed-in browser elsewhere."""
    if path.startswith("/api/"):
        client = factories.api_client(actor)
        if body is None:
            return getattr(client, method)(path)
        return getattr(client, method)(path, json.dumps(body), content_type="application/json")
    browser = Client()
    browser.force_login(actor)
    return getattr(browser, method)(path, body or {})


def reason_of(response) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return response.json().get("detail", "")
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("label", "method", "path", "body", "allowed"), ROUTES, ids=[row[0] for row in ROUTES]
)
def test_route_answers_each_role(settings, tmp_path, actor, label, method, path, body, allowed):
    settings.STUDIO_HOME = tmp_path
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    world = make_world()
    response = call(world["people"][actor], method, fill(path, world), fill(body, world))
    said = f"{label} as {actor}: {response.status_code} {reason_of(response)[:300]!r}"
    if actor in allowed:
        assert response.status_code not in (401, 403) and response.status_code < 500, said
    else:
        assert response.status_code == 403, said
        assert "Admin" in reason_of(response), said  # every refusal says who may


@pytest.mark.django_db
def test_roles_come_from_superuser_and_the_viewer_group():
    member = factories.make_user("m")
    assert role_of(member) == "member"
    set_role(member, "viewer")
    assert role_of(type(member).objects.get(pk=member.pk)) == "viewer"  # read back, not cached
    set_role(member, "admin")
    member.refresh_from_db()
    assert member.is_superuser and member.is_staff and role_of(member) == "admin"
    assert factories.api_client(member).get(f"{API}/me/").json()["role"] == "admin"


@pytest.mark.django_db
def test_an_admin_cannot_demote_themselves():
    admin = factories.make_user("root", admin=True)
    response = factories.api_client(admin).patch(f"{API}/users/root/", {"role": "member"}, format="json")
    assert response.status_code == 400
    admin.refresh_from_db()
    assert admin.is_superuser


@pytest.mark.django_db
def test_a_viewer_sees_no_buttons_they_cannot_use(settings, tmp_path):
    settings.STUDIO_HOME = tmp_path
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    world = make_world()
    pages = {"job": f"/jobs/{world['job']}/", "drafts": "/designer/", "endpoint": "/endpoints/ep/"}
    buttons = {"job": "Cancel job", "drafts": ">Delete<", "endpoint": ">Disable<"}
    for who, expected in (("viewer", False), ("other", False), ("owner", True), ("admin", True)):
        browser = Client()
        browser.force_login(world["people"][who])
        for page, path in pages.items():
            text = browser.get(path).content.decode()
            assert (buttons[page] in text) is expected, f"{page} page as {who}"
        props = browser.get(pages["job"]).context["props"]
        assert ("/cancel/" in props) is expected, f"job island as {who}"


@pytest.mark.django_db
def test_the_django_admin_refuses_a_non_admin_with_403_not_a_redirect_loop():
    """/admin/ sends whoever it does not let in to /admin/login/, which once redirected back to
    /admin/: a signed-in Member or Viewer went round until the browser gave up."""
    member = factories.make_user("member")
    admin = factories.make_user("root", admin=True)
    browser = Client()
    browser.force_login(member)
    first = browser.get("/admin/")
    assert (first.status_code, first["Location"]) == (302, "/admin/login/?next=/admin/")
    refused = browser.get(first["Location"])
    assert refused.status_code == 403
    assert "only an Admin can use the Django admin" in refused.content.decode()
    browser.force_login(admin)
    assert browser.get("/admin/").status_code == 200
    onward = browser.get("/admin/login/?next=/admin/auth/user/")
    assert (onward.status_code, onward["Location"]) == (302, "/admin/auth/user/")
    elsewhere = browser.get("/admin/login/?next=https://evil.example/")
    assert elsewhere["Location"] == "/admin/"
