"""A draft says whether the signed-in user may change it, so the designer can open another's draft
read-only (no autosave) instead of answering each edit with a refused save."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from designer import actions
from studio.roles import VIEWER, set_role
from tests import factories


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_can_change_is_the_owner_or_an_admin():
    owner = factories.make_user("owner")
    other = factories.make_user("other")
    viewer = factories.make_user("viewer")
    set_role(viewer, VIEWER, audit=False)
    admin = factories.make_user("boss", admin=True)
    draft = actions.create_draft(name="mine", user=owner)

    answers = {
        user.username: _client(user).get(f"/api/v1/drafts/{draft.pk}/").json()
        for user in (owner, other, viewer, admin)
    }

    assert {name: answer["can_change"] for name, answer in answers.items()} == {
        "owner": True, "other": False, "viewer": False, "boss": True,
    }  # fmt: skip
    assert {answer["created_by"] for answer in answers.values()} == {"owner"}
    # what the flag promises is what the server does: the other Member's save is refused
    refused = _client(other).patch(f"/api/v1/drafts/{draft.pk}/", {"name": "taken"}, format="json")
    assert refused.status_code == 403
    assert "belongs to owner" in refused.json()["detail"]


@pytest.mark.django_db
def test_a_duplicate_is_the_duplicators_to_change():
    owner = factories.make_user("owner")
    other = factories.make_user("other")
    draft = actions.create_draft(name="mine", user=owner)

    copy = _client(other).post(f"/api/v1/drafts/{draft.pk}/duplicate/").json()

    assert copy["created_by"] == "other"
    assert copy["can_change"] is True
