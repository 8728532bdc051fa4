"""The audit log: each action recorded once where it happens, with who, what, the target and where
it came from; readable by Admins only, on /audit/ and /api/v1/audit/, filtered and paginated."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from studio import audit
from studio.models import AuditEntry
from studio.roles import VIEWER, set_role
from tests import factories
from tests.endpoints.pipelines import with_key

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/audit/"
ONE_STEP = {
    "type": "pipeline",
    "settings": {"default_compute": "azureml:local"},
    "jobs": {"s1": {"type": "command", "component": "azureml:run_command:1"}},
}


@pytest.fixture
def admin(db):
    return factories.make_user("root", admin=True)


@pytest.fixture
def admin_api(admin):
    return factories.api_client(admin)


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def only(action: str) -> AuditEntry:
    found = entries(action)
    assert len(found) == 1, (action, [str(e) for e in AuditEntry.objects.all()])
    return found[0]


def post(client, path: str, body=None, **headers):
    return client.post(path, json.dumps(body or {}), content_type="application/json", **headers)


def browser(user) -> Client:
    page = Client()
    page.force_login(user)
    return page


def test_job_submit_cancel_and_rerun_are_recorded_with_who_and_where(library, computes, user, api):
    submitted = post(api, "/api/v1/jobs/", ONE_STEP)
    assert submitted.status_code == 201, submitted.json()
    name = submitted.json()["name"]
    from_cli = post(api, "/api/v1/jobs/", ONE_STEP, HTTP_USER_AGENT="studio-cli/1")
    assert post(api, f"/api/v1/jobs/{name}/cancel/").status_code == 202
    rerun = post(api, f"/api/v1/jobs/{name}/rerun/")
    assert rerun.status_code == 201
    assert browser(user).post(f"/jobs/{rerun.json()['name']}/cancel/").status_code == 302

    first, second = entries("job.submit")
    assert (first.actor, first.actor_label, first.target_type, first.target_name, first.source) == (
        user,
        "ada",
        "job",
        name,
        "api",
    )
    assert second.target_name == from_cli.json()["name"] and second.source == "cli"
    api_cancel, page_cancel = entries("job.cancel")
    assert (api_cancel.actor, api_cancel.target_name, api_cancel.source) == (user, name, "api")
    assert (page_cancel.target_name, page_cancel.source) == (rerun.json()["name"], "web")
    again = only("job.rerun")
    assert again.target_name == rerun.json()["name"] and again.detail["rerun_of"] == name
    # canceling a job that ended already changes nothing, so nothing is recorded
    post(api, f"/api/v1/jobs/{name}/cancel/")
    assert len(entries("job.cancel")) == 2


def test_endpoint_publish_default_status_and_keys_are_recorded(library, computes, user, api):
    job = post(api, "/api/v1/jobs/", ONE_STEP).json()["name"]
    assert post(api, "/api/v1/endpoints/", {"name": "ep", "job": job}).status_code == 201
    assert post(api, "/api/v1/endpoints/", {"name": "ep", "job": job}).status_code == 201
    patch = {"content_type": "application/json"}
    assert api.patch("/api/v1/endpoints/ep/", json.dumps({"default_version": 2}), **patch).status_code == 200
    assert api.patch("/api/v1/endpoints/ep/", json.dumps({"status": "Disabled"}), **patch).status_code == 200
    assert api.patch("/api/v1/endpoints/ep/", json.dumps({"status": "Active"}), **patch).status_code == 200
    created = post(api, "/api/v1/endpoints/ep/keys/", {"name": "nightly"})
    assert created.status_code == 201
    run = post(with_key(created.json()["key"]), "/api/v1/endpoints/ep/runs")
    assert run.status_code == 201, run.json()
    key_id = created.json()["id"]
    assert (
        post(
            with_key(created.json()["key"]), f"/api/v1/endpoints/ep/runs/{run.json()['Id']}/cancel"
        ).status_code
        == 202
    )
    assert post(api, f"/api/v1/endpoints/ep/keys/{key_id}/revoke/").status_code == 200

    published = entries("endpoint.publish")
    assert [(e.actor, e.target_name, e.detail["version"]) for e in published] == [
        (user, "ep", 1),
        (user, "ep", 2),
    ]
    assert published[0].detail["via"] == "job" and published[0].detail["source_ref"] == job
    assert only("endpoint.default").detail == {"version": 2}
    assert (only("endpoint.disable").target_name, only("endpoint.enable").actor) == ("ep", user)
    assert (only("key.create").actor, only("key.create").target_type, only("key.create").target_name) == (
        user,
        "key",
        "ep/nightly",
    )
    assert only("key.revoke").target_name == "ep/nightly" and only("key.revoke").source == "api"
    by_key = entries("job.submit")[-1]
    assert by_key.target_name == run.json()["Id"]
    assert (by_key.actor, by_key.actor_label, by_key.source) == (None, "key nightly of endpoint ep", "key")
    assert by_key.detail == {"via": "endpoint", "endpoint": "ep"}
    canceled = only("job.cancel")
    assert (canceled.actor, canceled.actor_label, canceled.source) == (
        None,
        "key nightly of endpoint ep",
        "key",
    )


def test_users_and_roles_are_recorded_and_outlive_the_actor(admin, admin_api):
    created = post(
        admin_api, "/api/v1/users/", {"username": "newbie", "password": "a-long-pass-1", "role": "viewer"}
    )
    assert created.status_code == 201, created.json()
    changed = admin_api.patch(
        "/api/v1/users/newbie/", json.dumps({"role": "admin"}), content_type="application/json"
    )
    assert changed.status_code == 200
    same = admin_api.patch(
        "/api/v1/users/newbie/", json.dumps({"role": "admin"}), content_type="application/json"
    )
    assert same.status_code == 200

    made = only("user.create")
    assert (made.actor, made.target_type, made.target_name, made.detail) == (
        admin,
        "user",
        "newbie",
        {"role": "viewer"},
    )
    role = only("user.role")  # the unchanged role the second time is not a change
    assert role.actor == admin and role.detail == {"role": "admin", "previous": "viewer"}

    # the second Admin changes a role, then is deleted: the entry still says who it was
    newbie = get_user_model().objects.get(username="newbie")
    other = factories.make_user("other")
    factories.api_client(newbie).patch(
        "/api/v1/users/other/", json.dumps({"role": "viewer"}), content_type="application/json"
    )
    newbie.delete()
    kept = AuditEntry.objects.get(action="user.role", target_name=other.username)
    assert (kept.actor, kept.actor_label) == (None, "newbie")


def test_compute_changes_are_recorded(admin, admin_api):
    assert post(admin_api, "/api/v1/computes/", {"name": "box", "kind": "local"}).status_code == 201
    patched = admin_api.patch(
        "/api/v1/computes/box/", json.dumps({"max_concurrent_steps": 3}), content_type="application/json"
    )
    assert patched.status_code == 200
    assert post(admin_api, "/api/v1/computes/box/drain/").status_code == 200
    assert browser(admin).post("/computes/box/resume/").status_code == 302
    assert admin_api.delete("/api/v1/computes/box/").status_code == 204

    for action in ("compute.create", "compute.update", "compute.drain", "compute.resume", "compute.delete"):
        entry = only(action)
        assert (entry.actor, entry.target_type, entry.target_name) == (admin, "compute", "box"), action
    assert only("compute.update").detail == {"max_concurrent_steps": 3}
    assert only("compute.resume").source == "web" and only("compute.drain").source == "api"


def test_draft_delete_and_asset_archive_are_recorded(settings, tmp_path, user, api):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"
    draft = post(api, "/api/v1/drafts/", {"name": "scratch"}).json()
    assert api.delete(f"/api/v1/drafts/{draft['id']}/").status_code == 204
    assert (
        post(
            api, "/api/v1/environments/", {"name": "env", "version": "1", "image": "python:3.12"}
        ).status_code
        == 201
    )
    assert post(api, "/api/v1/environments/env/1/archive/").status_code == 200
    assert api.delete("/api/v1/environments/env/1/archive/").status_code == 200

    deleted = only("draft.delete")
    assert deleted.actor == user and deleted.target_name == f"scratch (#{draft['id']})"
    archived = only("asset.archive")
    assert (archived.actor, archived.target_type, archived.target_name) == (user, "environment", "env:1")
    assert only("asset.unarchive").target_name == "env:1"


def test_only_admins_read_the_audit_log(admin, user):
    viewer = factories.make_user("vera")
    set_role(viewer, VIEWER)
    for someone in (user, viewer):
        refused = factories.api_client(someone).get(AUDIT)
        assert refused.status_code == 403 and "Admin" in refused.json()["detail"]
        page = browser(someone).get("/audit/")
        assert page.status_code == 403
        assert 'href="/audit/"' not in browser(someone).get("/computes/").content.decode()
    assert factories.api_client().get(AUDIT).status_code == 401
    assert factories.api_client(admin).get(AUDIT).status_code == 200
    assert browser(admin).get("/audit/").status_code == 200
    assert 'href="/audit/"' in browser(admin).get("/computes/").content.decode()  # in the sidebar


def test_filters_and_pages_on_the_api_and_the_page(admin, user):
    audit.record(user, "job.submit", ("job", "j1"), source="api")
    audit.record(user, "job.cancel", ("job", "j1"), source="web")
    audit.record(admin, "compute.drain", ("compute", "box"), source="cli")
    old = audit.record(admin, "key.revoke", ("key", "ep/old"), source="api")
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=10))
    client = factories.api_client(admin)

    def names(**query) -> list[str]:
        response = client.get(AUDIT, query)
        assert response.status_code == 200, response.json()
        return [row["action"] for row in response.json()["results"]]

    assert names() == ["compute.drain", "job.cancel", "job.submit", "key.revoke"]  # newest first
    assert names(actor="ada") == ["job.cancel", "job.submit"]
    assert names(action="job.") == ["job.cancel", "job.submit"]
    assert names(action="job.submit") == ["job.submit"]
    assert names(source="cli") == ["compute.drain"]
    assert names(target="ep/") == ["key.revoke"]
    week_ago = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert names(since=week_ago) == ["compute.drain", "job.cancel", "job.submit"]
    assert names(until=week_ago) == ["key.revoke"]
    first = client.get(AUDIT, {"page_size": 3}).json()
    assert first["count"] == 4 and first["next"] and len(first["results"]) == 3
    row = first["results"][0]
    assert (row["actor"], row["actor_label"], row["target_type"], row["target_name"]) == (
        "root",
        "root",
        "compute",
        "box",
    )
    assert client.get(AUDIT, {"since": "not a date"}).status_code == 400

    page = browser(admin).get("/audit/", {"actor": "ada", "action": "job."}).content.decode()
    assert "job.cancel</code>" in page and "job.submit</code>" in page and "compute.drain</code>" not in page
    assert '<a href="/jobs/j1/">j1</a>' in page


def test_the_audit_list_is_in_the_openapi_schema(admin):
    schema = browser(admin).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/audit/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"actor", "action", "since", "until", "page"}
