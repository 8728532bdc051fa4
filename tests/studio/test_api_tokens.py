"""API tokens: issued once over HTTP Basic or the profile page, stored hashed, revocable."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from django.test import Client

from studio.models import ApiToken
from tests.factories import make_user

PASSWORD = "a-long-test-password-7"

pytestmark = pytest.mark.django_db


def _basic(username: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def alice(db):
    return make_user("alice", password=PASSWORD)


@pytest.fixture
def bob(db):
    return make_user("bob", password=PASSWORD)


def _create_token(client, user, name="laptop CLI") -> dict:
    response = client.post(
        "/api/v1/tokens/",
        {"name": name},
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(user.username),
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_it_issues_a_token_over_basic_auth_and_shows_it_once(client, alice):
    body = _create_token(client, alice)

    raw = body["token"]
    assert raw.startswith("stu_")
    assert len(raw) > 40
    assert body["name"] == "laptop CLI"
    assert body["prefix"] == raw[:12]
    assert body["is_active"] is True

    listed = client.get("/api/v1/tokens/", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert listed["count"] == 1
    assert "token" not in listed["results"][0]
    assert raw not in str(listed)

    detail = client.get(f"/api/v1/tokens/{body['id']}/", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert "token" not in detail
    assert raw not in str(detail)


def test_it_stores_only_a_hash_of_the_token(client, alice):
    raw = _create_token(client, alice)["token"]

    stored = ApiToken.objects.get(user=alice)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    for value in (stored.key_hash, stored.prefix, stored.name):
        assert raw not in value
    assert len(stored.prefix) < len(raw)


def test_it_refuses_basic_auth_with_a_wrong_password(client, alice):
    response = client.post(
        "/api/v1/tokens/",
        {"name": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic("alice", "wrong-password"),
    )

    assert response.status_code == 401
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_it_authenticates_with_the_token(client, alice, keyword):
    raw = _create_token(client, alice)["token"]

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"{keyword} {raw}")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_it_records_when_a_token_was_used(client, alice):
    token, raw = ApiToken.issue(alice, "script")
    assert token.last_used_at is None

    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_rejects_a_token_revoked_over_the_api(client, alice):
    body = _create_token(client, alice)
    raw = body["token"]

    response = client.delete(f"/api/v1/tokens/{body['id']}/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 204

    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    token = ApiToken.objects.get(pk=body["id"])
    assert token.revoked_at is not None
    assert not token.is_active


def test_it_rejects_a_revoked_token(client, alice):
    token, raw = ApiToken.issue(alice, "script")
    token.revoke()
    first_revoked_at = token.revoked_at

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    token.revoke()
    token.refresh_from_db()
    assert token.revoked_at == first_revoked_at


def test_it_keeps_other_tokens_working_after_a_revoke(client, alice):
    revoked, revoked_raw = ApiToken.issue(alice, "old")
    _, kept_raw = ApiToken.issue(alice, "new")
    revoked.revoke()

    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {kept_raw}").status_code == 200
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {revoked_raw}").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer stu_not-a-real-token",
        "Bearer not-even-prefixed",
        "Token ",
        "Bearer two parts",
    ],
)
def test_it_rejects_a_wrong_token(client, alice, header):
    ApiToken.issue(alice, "script")

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


def test_it_rejects_a_token_of_an_inactive_user(client, alice):
    _, raw = ApiToken.issue(alice, "script")
    alice.is_active = False
    alice.save()

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401


def test_it_hides_other_users_tokens(client, alice, bob):
    alice_token, _ = ApiToken.issue(alice, "alice's")
    _, bob_raw = ApiToken.issue(bob, "bob's")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {bob_raw}"}

    listed = client.get("/api/v1/tokens/", **auth).json()
    assert [token["name"] for token in listed["results"]] == ["bob's"]

    assert client.get(f"/api/v1/tokens/{alice_token.pk}/", **auth).status_code == 404
    assert client.delete(f"/api/v1/tokens/{alice_token.pk}/", **auth).status_code == 404

    alice_token.refresh_from_db()
    assert alice_token.is_active


def test_it_creates_a_token_on_the_profile_page_and_shows_it_once(client, alice):
    client.force_login(alice)

    response = client.post("/profile/", {"name": "nightly CI"})

    assert response.status_code == 200
    token = ApiToken.objects.get(user=alice)
    assert token.name == "nightly CI"
    shown = re.search(r'id="new-token"[^>]*value="(stu_[^"]+)"', response.content.decode())
    assert shown, "the new token is not shown"
    raw = shown.group(1)
    assert ApiToken.authenticate(raw).pk == token.pk

    again = client.get("/profile/")
    assert again.status_code == 200
    page = again.content.decode()
    assert raw not in page
    assert token.prefix in page
    assert "nightly CI" in page


def test_it_refuses_a_profile_token_without_a_name(client, alice):
    client.force_login(alice)

    response = client.post("/profile/", {"name": ""})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_it_revokes_a_token_from_the_profile_page(client, alice):
    token, raw = ApiToken.issue(alice, "laptop")
    client.force_login(alice)
    assert f"/profile/tokens/{token.pk}/revoke/" in client.get("/profile/").content.decode()

    response = client.post(f"/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert "revoked" in client.get("/profile/").content.decode()


def test_it_revokes_only_with_post(client, alice):
    token, _ = ApiToken.issue(alice, "laptop")
    client.force_login(alice)

    assert client.get(f"/profile/tokens/{token.pk}/revoke/").status_code == 405

    token.refresh_from_db()
    assert token.is_active


def test_it_does_not_revoke_another_users_token_from_the_profile_page(client, alice, bob):
    token, _ = ApiToken.issue(bob, "bob's")
    client.force_login(alice)

    response = client.post(f"/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_it_needs_a_csrf_token_on_the_profile_forms(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    token, _ = ApiToken.issue(alice, "laptop")

    assert client.post("/profile/", {"name": "sneaky"}).status_code == 403
    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 403

    assert list(ApiToken.objects.values_list("name", flat=True)) == ["laptop"]
    token.refresh_from_db()
    assert token.is_active


def test_it_accepts_the_profile_form_with_its_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get("/profile/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = client.post("/profile/", {"name": "with csrf", "csrfmiddlewaretoken": csrf})

    assert response.status_code == 200
    assert ApiToken.objects.filter(user=alice, name="with csrf").exists()


def test_it_needs_a_csrf_token_for_api_calls_with_a_session(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")

    assert response.status_code == 403
    assert not ApiToken.objects.exists()
