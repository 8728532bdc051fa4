"""The sample gallery: every sample of examples/ opens as a draft that validates, from the drafts page."""

from __future__ import annotations

import re

import pytest
import yaml
from django.test import Client

from designer.actions import check_draft
from designer.models import PipelineDraft
from designer.samples import EXAMPLES_DIR, GALLERY, samples
from studio.roles import VIEWER, set_role
from tests import factories

pytestmark = pytest.mark.django_db

KINDS = {"Classification", "Regression", "Data preparation", "Python script", "Batch scoring"}


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_offers_the_five_kinds_of_sample_each_a_file_of_examples():
    assert {kind for _, _, kind in GALLERY} == KINDS
    assert [sample.slug for sample in samples()] == [slug for slug, _, _ in GALLERY]
    for sample in samples():
        assert sample.path.parent == EXAMPLES_DIR
        document = yaml.safe_load(sample.path.read_text())
        assert document["type"] == "pipeline" and document["jobs"], sample.filename
        assert len(sample.steps) == len(document["jobs"])


@pytest.mark.parametrize("slug", [slug for slug, _, _ in GALLERY])
def test_it_opens_each_sample_as_a_draft_that_validates(library, slug):
    member = factories.make_user("ada")
    response = browser(member).post(f"/designer/samples/{slug}/")
    assert response.status_code == 302, response.content[:500]
    draft_id = int(re.search(r"/designer/(\d+)/$", response["Location"]).group(1))
    draft = PipelineDraft.objects.get(pk=draft_id)
    assert draft.created_by == member
    assert check_draft(draft, user=member) == []
    sample = next(each for each in samples() if each.slug == slug)
    assert draft.name == sample.title
    assert len(draft.graph["nodes"]) >= len(sample.steps)


def test_the_drafts_page_shows_the_gallery_to_members_only():
    member, viewer = factories.make_user("ada"), factories.make_user("val")
    set_role(viewer, VIEWER)
    page = browser(member).get("/designer/").content.decode()
    for sample in samples():
        assert f'action="/designer/samples/{sample.slug}/"' in page
        assert sample.title in page
    assert "Start from a sample" not in browser(viewer).get("/designer/").content.decode()


def test_an_unknown_sample_is_a_404_and_a_viewer_is_refused():
    member, viewer = factories.make_user("ada"), factories.make_user("val")
    set_role(viewer, VIEWER)
    assert browser(member).post("/designer/samples/nope/").status_code == 404
    refused = browser(viewer).post("/designer/samples/classification/")
    assert refused.status_code == 403
    assert PipelineDraft.objects.count() == 0


def test_without_the_library_it_says_what_is_missing_and_creates_nothing(settings, tmp_path):
    settings.STUDIO_HOME = tmp_path
    client = browser(factories.make_user("ada"))
    response = client.post("/designer/samples/classification/", follow=True)
    text = response.content.decode()
    assert "needs the built-in library" in text
    assert "import_csv" in text  # the compiler's own problem, with its file and line
    assert PipelineDraft.objects.count() == 0
