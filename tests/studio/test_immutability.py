"""A registered asset version never changes: only its archive flag does."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studio.models import Component, DataAsset, Environment
from studio.models.assets import ImmutableAssetError
from studio.registry import register_file
from tests.fixtures import BASE_ENVIRONMENT, FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"


@pytest.fixture
def environment() -> Environment:
    return register_file(BASE_ENVIRONMENT)[0]


@pytest.fixture
def component(environment) -> Component:
    return register_file(FIXTURES / "components" / "primitive_inputs" / "component.yml")[0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("spec", {"name": "fixture-base", "image": "evil:latest"}),
        ("description", "rewritten"),
        ("version", "99"),
        ("content_hash", "0" * 64),
        ("tags", {"new": "tag"}),
    ],
)
def test_saving_a_changed_field_raises(environment, field, value):
    original = Environment.objects.get(pk=environment.pk)
    setattr(environment, field, value)

    with pytest.raises(ImmutableAssetError):
        environment.save()
    with pytest.raises(ImmutableAssetError):
        environment.save(update_fields=[field])

    stored = Environment.objects.get(pk=environment.pk)
    assert (stored.spec, stored.description, stored.version, stored.content_hash, stored.tags) == (
        original.spec,
        original.description,
        original.version,
        original.content_hash,
        original.tags,
    )


def test_saving_a_changed_component_field_raises(component):
    component.code_digest = "f" * 64
    with pytest.raises(ImmutableAssetError):
        component.save()


def test_saving_an_unchanged_or_archived_asset_works(environment):
    environment.save()
    environment.archived = True
    environment.save()

    assert Environment.objects.get(pk=environment.pk).archived is True


@pytest.mark.parametrize("model", [Environment, Component, DataAsset])
def test_queryset_update_may_only_archive(model, component):
    with pytest.raises(ImmutableAssetError):
        model.objects.all().update(spec={})
    with pytest.raises(ImmutableAssetError):
        model.objects.all().update(archived=True, description="x")

    model.objects.all().update(archived=True)
    assert not model.objects.filter(archived=False).exists()


def test_bulk_update_of_a_spec_raises(environment):
    environment.description = "bulk"
    with pytest.raises(ImmutableAssetError):
        Environment.objects.bulk_update([environment], ["description"])


def test_set_archived_hides_and_shows_a_version(environment):
    environment.set_archived(True)
    assert Environment.objects.get(pk=environment.pk).archived is True
    assert Environment.objects.latest_of("fixture-base") is None

    environment.set_archived(False)
    assert Environment.objects.get(pk=environment.pk).archived is False
    assert Environment.objects.latest_of("fixture-base") == environment


# --- The API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/components/fixture_primitive_inputs/1/",
        "/api/v1/components/fixture_primitive_inputs@latest/",
        "/api/v1/environments/fixture-base/3/",
    ],
)
def test_the_api_has_no_way_to_change_a_version(admin_client, component, method, path):
    response = getattr(admin_client, method)(
        path, json.dumps({"description": "changed"}), content_type="application/json"
    )

    assert response.status_code == 405, response.content
    assert Component.objects.get(pk=component.pk).description == component.description


def _with_description(description: str) -> str:
    return (BASE_ENVIRONMENT.read_text()) + f"description: {description}\n"


def test_the_api_refuses_other_content_under_an_existing_version(admin_client, environment):
    upload = SimpleUploadedFile("environment.yml", _with_description("different").encode())

    response = admin_client.post("/api/v1/environments/", {"file": upload})

    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == ["version"]
    assert [problem["field"] for problem in body["problems"]] == ["version"]
    assert Environment.objects.get(pk=environment.pk).description == ""

    as_json = {"name": "fixture-base", "version": "3", "image": "python:3.12-slim"}
    response = admin_client.post(
        "/api/v1/environments/", json.dumps(as_json), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["version"]


def test_a_version_conflict_points_at_the_version_line(admin_client, environment):
    upload = SimpleUploadedFile("environment.yml", _with_description("different").encode())

    response = admin_client.post("/api/v1/environments/", {"file": upload})

    assert response.json()["problems"][0]["line"] == 4


# --- The Django admin ---------------------------------------------------------------------------


@pytest.mark.parametrize("model_name", ["component", "environment"])
def test_the_admin_shows_a_version_read_only(admin_client, component, model_name):
    asset = component if model_name == "component" else component.environment
    url = f"/admin/studio/{model_name}/{asset.pk}/change/"

    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert asset.name in html

    response = admin_client.post(url, {"name": "renamed", "version": "9", "description": "x"})
    assert response.status_code == 403
    asset.refresh_from_db()
    assert (asset.name, asset.description) != ("renamed", "x")


@pytest.mark.parametrize("model_name", ["component", "environment", "dataasset"])
def test_the_admin_cannot_add_or_delete_versions(admin_client, component, model_name):
    assert admin_client.get(f"/admin/studio/{model_name}/add/").status_code == 403
    assert admin_client.post(f"/admin/studio/{model_name}/add/", {"name": "x"}).status_code == 403
    changelist = admin_client.get(f"/admin/studio/{model_name}/").content.decode()
    assert f"/admin/studio/{model_name}/add/" not in changelist
    assert "delete_selected" not in changelist


def test_the_admin_delete_view_is_forbidden(admin_client, component):
    url = f"/admin/studio/component/{component.pk}/delete/"

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Component.objects.filter(pk=component.pk).exists()


def test_the_admin_can_archive_and_unarchive(admin_client, component):
    for action, archived in (("archive", True), ("unarchive", False)):
        response = admin_client.post(
            "/admin/studio/component/", {"action": action, "_selected_action": [component.pk]}
        )
        assert response.status_code == 302
        component.refresh_from_db()
        assert component.archived is archived
