"""The endpoint pages: list, detail (versions, diff, default, enable/disable, keys, and the props of
the island that shows "Try it", the snippets and the recent runs), publishing from a draft or a job.

No worker runs here, so jobs stay Queued; tests/e2e/test_endpoints.py runs one in Chromium.
"""

from __future__ import annotations

import html as markup
import json
import re

import pytest
from django.urls import NoReverseMatch, reverse

from endpoints.models import EndpointKey, EndpointVersion, PipelineEndpoint
from endpoints.pages.publish import suggested_name
from tests.designer.graphs import iris_graph
from tests.endpoints.pipelines import EVERY_KIND, SPLIT_PIPELINE, publish, with_key

pytestmark = pytest.mark.django_db

PAGE = "/endpoints/split-iris/"


@pytest.fixture
def page(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def endpoint(api, seeded):
    publish(api, description="Splits iris for the nightly model")
    return PipelineEndpoint.objects.get(name="split-iris")


def text(response) -> str:
    return response.content.decode()


def island(response) -> dict:
    """The props of the endpoint page's island (frontend/src/endpoints/)."""
    found = re.search(r'data-island="endpoints" data-props="([^"]*)"', text(response))
    assert found, "the page has no endpoints island"
    return json.loads(markup.unescape(found.group(1)))


def parameter(props: dict, name: str) -> dict:
    return next(p for p in props["chosen"]["parameters"] if p["name"] == name)


def invoke(api, body=None, name="split-iris"):
    response = api.post(f"/api/v1/endpoints/{name}/runs", body or {}, format="json")
    assert response.status_code in (201, 400), response.json()
    return response.json()


# --- the list ------------------------------------------------------------------------------------


def test_the_list_explains_how_to_publish_when_there_is_nothing(page, seeded):
    response = page.get("/endpoints/")

    assert response.status_code == 200
    html = text(response)
    assert "No endpoints published yet" in html
    assert "studio endpoint publish --file pipeline.yml --name NAME" in html
    assert 'href="/designer/"' in html and 'href="/jobs/"' in html
    assert re.search(r'<a href="/endpoints/" aria-current="page">', html), "the nav marks Endpoints"


def test_the_list_shows_status_default_version_last_run_and_runs_today(page, api, endpoint):
    publish(api, name="other-one")
    publish(api)  # split-iris v2, not the default
    run = invoke(api, {"ParameterAssignments": {"fraction": 0.5}})
    invoke(api, {"ParameterAssignments": {"fraction": 5}})  # refused: not a run
    api.patch("/api/v1/endpoints/other-one/", {"status": "Disabled"}, format="json")

    html = text(page.get("/endpoints/"))

    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    split = next(row for row in rows if 'href="/endpoints/split-iris/"' in row)
    other = next(row for row in rows if 'href="/endpoints/other-one/"' in row)
    assert "Splits iris for the nightly model" in split
    assert "Active" in split and "v1" in split and "of 2" in split
    assert f'href="/jobs/{run["Id"]}/"' in split and "Queued" in split
    assert re.search(r'<td class="num">1</td>', split), "one run today"
    assert "Disabled" in other and "never run" in other and re.search(r'<td class="num">0</td>', other)


def test_the_runner_placeholder_is_gone_and_the_nav_points_here(page, seeded):
    with pytest.raises(NoReverseMatch):
        reverse("runner:endpoints")
    assert reverse("endpoints:list") == "/endpoints/"
    assert 'href="/endpoints/"' in text(page.get("/jobs/"))


# --- the detail page -----------------------------------------------------------------------------


def test_the_detail_page_shows_versions_keys_snippets_and_a_typed_try_it_form(page, api, endpoint):
    publish(api, description="second")

    response = page.get(PAGE)

    assert response.status_code == 200
    html = text(response)
    assert "Splits iris for the nightly model" in html
    versions = re.findall(r'<tr[^>]*data-version="(\d+)"', html)
    assert versions == ["2", "1"]
    assert re.search(r'data-version="1">.*?badge--latest">default<', html, re.S)
    assert 'aria-label="Set version 2 as default"' in html
    assert 'aria-label="Set version 1 as default"' not in html
    # "Try it" for the default version, typed from the parameter schema
    props = island(response)
    assert props["view"] == "detail" and props["endpoint"] == "split-iris" and props["active"] is True
    assert props["versions"] == [2, 1] and props["defaultVersion"] == 1
    assert props["chosen"]["number"] == 1
    fraction = parameter(props, "fraction")
    assert (fraction["type"], fraction["default"], fraction["min"], fraction["max"]) == (
        "number",
        0.7,
        0.01,
        0.99,
    )
    seed = parameter(props, "seed")
    assert (seed["type"], seed["default"], seed["min"], seed["max"]) == ("integer", 7, 0, 4294967295)
    assert parameter(props, "label")["optional"] and not parameter(props, "fraction").get("optional")
    raw = parameter(props, "raw")
    assert (raw["kind"], raw["type"], raw["default"]) == ("data", "uri_file", "iris:1")
    choices = props["chosen"]["dataChoices"]
    assert list(choices) == ["uri_file"] and choices["uri_file"]["iris"] == ["1"]
    assert props["invokeUrl"] == "http://testserver/api/v1/endpoints/split-iris/runs"
    assert props["openapiUrl"] == "http://testserver/api/v1/endpoints/split-iris/openapi.json"
    assert props["runsUrl"] == "/api/v1/endpoints/split-iris/invocations/?limit=20"
    assert props["runs"] == []
    assert "No keys yet" in html
    # without JavaScript the page still says how to call it
    assert "<noscript>" in html and "POST http://testserver/api/v1/endpoints/split-iris/runs" in html
    assert "endpoints.js" not in html


def test_try_it_follows_the_chosen_version(page, api, endpoint):
    publish(api, yaml=SPLIT_PIPELINE.replace("fraction: 0.7", "fraction: 0.6"))

    props = island(page.get(PAGE + "?version=2"))

    assert props["chosen"]["number"] == 2
    assert props["invokeUrl"] == "http://testserver/api/v1/endpoints/split-iris/runs?version=2"
    assert props["openapiUrl"].endswith("/openapi.json?version=2")
    assert parameter(props, "fraction")["default"] == 0.6
    assert page.get(PAGE + "?version=9").status_code == 404
    assert page.get(PAGE + "?version=x").status_code == 404


def test_an_unknown_endpoint_is_a_friendly_404(page, seeded):
    for path in ("/endpoints/nope/", "/endpoints/nope/diff/"):
        response = page.get(path)
        assert response.status_code == 404
        assert "There is no endpoint nope" in text(response)


def test_recent_runs_show_each_invocation_with_its_job_parameters_and_caller(page, api, endpoint):
    from tests.endpoints.pipelines import new_key

    key = new_key(api, name="nightly")
    ran = (
        with_key(key)
        .post("/api/v1/endpoints/split-iris/runs", {"ParameterAssignments": {"seed": 3}}, format="json")
        .json()
    )
    invoke(api, {"ParameterAssignments": {"fraction": 2}})

    refused, accepted = island(page.get(PAGE))["runs"]

    assert accepted["job"] == {"id": ran["Id"], "status": "Queued", "url": f"/jobs/{ran['Id']}/"}
    assert accepted["key"]["name"] == "nightly" and accepted["parameters"] == {"seed": 3}
    assert refused["job"] is None and refused["status_code"] == 400
    assert refused["user"] == "ada" and refused["parameters"] == {"fraction": 2}
    assert refused["problems"][0]["field"] == "ParameterAssignments.fraction"


def test_a_refused_call_whose_parameters_are_not_an_object_still_lists(page, api, endpoint):
    for sent in ([1, 2], "fraction=0.5", 3):
        assert invoke(api, {"ParameterAssignments": sent})["errors"]

    response = page.get(PAGE)

    assert response.status_code == 200
    runs = island(response)["runs"]
    assert [run["status_code"] for run in runs] == [400, 400, 400]
    assert [run["parameters"] for run in runs] == [{}, {}, {}]  # what was sent was not an object


def test_a_key_is_created_on_the_page_and_its_secret_is_shown_once(page, endpoint):
    response = page.post(PAGE + "keys/", {"name": "nightly scheduler"})

    assert response.status_code == 200
    html = text(response)
    secret = re.search(r'id="new-key" type="text" readonly value="(sep_[^"]+)"', html).group(1)
    key = EndpointKey.objects.get(endpoint=endpoint)
    assert key.name == "nightly scheduler" and key.key_hash != secret and secret not in key.key_hash
    assert "copy it now, it is not shown again" in html
    assert """data-island="endpoints" data-props='{"view": "copy", "target": "#new-key"}'""" in html
    assert with_key(secret).get("/api/v1/endpoints/split-iris/runs").status_code == 200

    again = text(page.get(PAGE))
    assert secret not in again and 'id="new-key"' not in again
    assert f"<code>{key.prefix}…</code>" in again and "last used" in again.split('id="keys"')[1]


def test_a_key_needs_a_name(page, endpoint):
    response = page.post(PAGE + "keys/", {"name": "   "})

    assert response.status_code == 400
    assert re.search(r'<p class="field-error" id="key-error">a key needs a name', text(response))
    assert not EndpointKey.objects.exists()


def test_a_key_is_revoked_on_the_page(page, api, endpoint):
    from tests.endpoints.pipelines import new_key

    secret = new_key(api, name="ci")
    key = EndpointKey.objects.get()

    response = page.post(PAGE + f"keys/{key.pk}/revoke/", follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "revoked" in text(response) and 'aria-label="Revoke key ci"' not in text(response)
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert with_key(secret).get("/api/v1/endpoints/split-iris/runs").status_code == 401


def test_a_key_of_another_endpoint_cannot_be_revoked_through_this_one(page, api, endpoint):
    from tests.endpoints.pipelines import new_key

    publish(api, name="other-one")
    new_key(api, endpoint="other-one")
    key = EndpointKey.objects.get()

    assert page.post(PAGE + f"keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.is_active


def test_the_default_version_is_set_on_the_page(page, api, endpoint):
    publish(api)

    response = page.post(PAGE + "default/", {"version": "2"}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "Version 2 of split-iris is now the default" in text(response)
    endpoint.refresh_from_db()
    assert endpoint.default_version == 2
    assert 'aria-label="Set version 1 as default"' in text(response)

    missing = page.post(PAGE + "default/", {"version": "9"}, follow=True)
    assert "split-iris has no version 9" in text(missing)
    endpoint.refresh_from_db()
    assert endpoint.default_version == 2


def test_the_endpoint_is_disabled_and_enabled_on_the_page(page, endpoint):
    response = page.post(PAGE + "disable/", follow=True)

    endpoint.refresh_from_db()
    assert endpoint.status == "Disabled"
    html = text(response)
    assert "invocations get 409 until you enable it" in html
    assert island(response)["active"] is False
    assert 'action="/endpoints/split-iris/enable/"' in html

    response = page.post(PAGE + "enable/", follow=True)

    endpoint.refresh_from_db()
    assert endpoint.status == "Active"
    assert 'action="/endpoints/split-iris/disable/"' in text(response)


def test_the_changing_routes_take_only_post(page, endpoint):
    for path in ("default/", "disable/", "enable/", "keys/", "keys/1/revoke/"):
        assert page.get(PAGE + path).status_code == 405, path
    assert page.post("/endpoints/nope/disable/").status_code == 404


# --- the diff ------------------------------------------------------------------------------------

CHANGED_PIPELINE = (
    SPLIT_PIPELINE.replace("fraction: 0.7", "fraction: 0.6")
    .replace("  label: species\n", "  columns: sepal_length\n")
    .replace("stratify_column: ${{parent.inputs.label}}", "stratify_column: species")
    .replace("default_compute: azureml:docker", "default_compute: azureml:local")
)


def test_the_diff_lists_parameters_and_steps_added_removed_and_changed(page, api, endpoint):
    publish(api, yaml=CHANGED_PIPELINE)

    response = page.get(PAGE + "diff/")

    assert response.status_code == 200
    html = text(response)
    assert "version <code>1</code> → <code>2</code>" in html
    params = html.split('id="params-title"')[1].split('id="steps-title"')[0]
    steps = html.split('id="steps-title"')[1]
    assert re.search(r'data-change="added" data-name="columns"', params)
    assert re.search(r'data-change="removed" data-name="label"', params)
    fraction = re.search(r'data-change="changed" data-name="fraction".*?</li>', params, re.S).group(0)
    assert "<code>default</code>" in fraction and ">0.7<" in fraction and ">0.6<" in fraction
    assert 'data-name="seed"' not in params
    split = re.search(r'data-change="changed" data-name="split".*?</li>', steps, re.S).group(0)
    assert "<code>compute</code>" in split and ">docker<" in split and ">local<" in split
    assert "<code>inputs.stratify_column</code>" in split and "pipeline input label" in split
    assert "&quot;species&quot;" in split


def test_the_diff_of_a_version_with_itself_is_empty_and_unknown_versions_are_404(page, api, endpoint):
    assert "Pick two different versions" in text(page.get(PAGE + "diff/?a=1&b=1"))
    assert page.get(PAGE + "diff/?a=1&b=7").status_code == 404
    publish(api)
    html = text(page.get(PAGE + "diff/?a=2&b=1"))
    assert "Both versions take the same parameters and run the same steps" in html


def test_the_detail_page_offers_to_compare_the_two_newest_versions(page, api, endpoint):
    publish(api)
    publish(api)

    html = text(page.get(PAGE))

    form = re.search(r'<form method="get" action="/endpoints/split-iris/diff/".*?</form>', html, re.S).group(
        0
    )
    assert re.search(r'name="a">.*?<option value="2" selected>', form, re.S)
    assert re.search(r'name="b"><option value="3" selected>', form, re.S)


# --- publishing ----------------------------------------------------------------------------------


@pytest.fixture
def draft(api, seeded):
    return api.post(
        "/api/v1/drafts/import/", {"yaml": SPLIT_PIPELINE, "name": "Split iris"}, format="json"
    ).json()


def test_the_publish_page_suggests_a_name_and_lists_existing_endpoints(page, api, draft):
    publish(api, name="nightly")

    response = page.get(f"/endpoints/publish/?draft={draft['id']}")

    assert response.status_code == 200
    html = text(response)
    assert 'name="name" value="split-iris"' in html
    assert '<datalist id="publish-endpoints"><option value="nightly"></option></datalist>' in html
    assert 'name="make_default"' in html and "Publish the draft “Split iris”" in html


def test_a_draft_is_published_from_the_page(page, draft):
    response = page.post(
        f"/endpoints/publish/?draft={draft['id']}",
        {"name": "iris-split", "description": "from the page", "make_default": "on"},
        follow=True,
    )

    assert response.redirect_chain == [("/endpoints/iris-split/", 302)]
    assert "Published iris-split version 1: it is the default version." in text(response)
    version = EndpointVersion.objects.get(endpoint__name="iris-split")
    assert (version.source, version.source_ref, version.description) == (
        "draft",
        str(draft["id"]),
        "from the page",
    )
    assert version.created_by.username == "ada"


def test_publishing_again_without_make_default_keeps_the_default(page, api, endpoint, draft):
    response = page.post(f"/endpoints/publish/?draft={draft['id']}", {"name": "split-iris"}, follow=True)

    assert "Published split-iris version 2: the default is still version 1." in text(response)
    endpoint.refresh_from_db()
    assert endpoint.default_version == 1


@pytest.mark.parametrize("name", ["Bad Name", "-x", "", "a" * 101])
def test_a_bad_name_is_shown_at_the_field(page, draft, name):
    response = page.post(f"/endpoints/publish/?draft={draft['id']}", {"name": name, "description": "kept"})

    assert response.status_code == 400
    html = text(response)
    assert re.search(r'<p class="field-error" id="publish-name-error">an endpoint name is 1-100', html)
    assert 'aria-invalid="true"' in html and ">kept</textarea>" in html
    assert not PipelineEndpoint.objects.exists()


def test_a_draft_that_does_not_compile_lists_its_problems(page, api, seeded):
    graph = iris_graph()
    graph["nodes"][2]["data"]["inputs"]["fraction"] = 5  # out of range
    graph["edges"] = graph["edges"][:1]  # split and train lose their data
    draft = api.post("/api/v1/drafts/", {"name": "Broken", "graph": graph}, format="json").json()

    response = page.post(f"/endpoints/publish/?draft={draft['id']}", {"name": "broken"})

    assert response.status_code == 400
    html = text(response)
    problems = re.search(r'<div class="message message--error publish-problems".*?</div>', html, re.S).group(
        0
    )
    assert "The draft does not compile" in problems
    assert len(re.findall(r"<li>", problems)) >= 2
    assert "<code>split-1</code>" in problems and "fraction" in problems
    assert f'href="/designer/{draft["id"]}/"' in problems
    assert not PipelineEndpoint.objects.exists()


def test_a_job_is_published_from_the_page(page, api, draft):
    job = api.post(f"/api/v1/drafts/{draft['id']}/submit/", {}, format="json").json()["id"]

    assert 'name="name" value="split-iris"' in text(page.get(f"/endpoints/publish/?job={job}"))
    response = page.post(f"/endpoints/publish/?job={job}", {"name": "from-job"})

    assert response.status_code == 302 and response["Location"] == "/endpoints/from-job/"
    version = EndpointVersion.objects.get(endpoint__name="from-job")
    assert (version.source, version.source_ref) == ("job", job)


def test_publish_without_a_source_explains_and_a_missing_source_is_404(page, seeded):
    html = text(page.get("/endpoints/publish/"))
    assert "Choose what to publish" in html and "studio endpoint publish --file pipeline.yml" in html
    assert page.get("/endpoints/publish/?draft=1&job=x").status_code == 400
    assert page.get("/endpoints/publish/?draft=999").status_code == 404
    assert page.get("/endpoints/publish/?draft=abc").status_code == 404
    missing = page.post("/endpoints/publish/?job=no-such-job", {"name": "x"})
    assert missing.status_code == 404 and "There is no job no-such-job" in text(missing)


def test_the_designer_page_publishes_from_its_toolbar_not_a_server_dialog(page, draft):
    html = text(page.get(f"/designer/{draft['id']}/"))

    assert 'data-island="designer-canvas"' in html
    assert "<dialog" not in html and "endpoints.js" not in html


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("Split iris", "split-iris"),
        ("My_pipeline (v2)!", "my-pipeline-v2"),
        ("--", ""),
        ("Ünïcode", "unicode"),
    ],
)
def test_a_name_is_suggested_from_the_draft_or_job(source, name):
    assert suggested_name(source) == name


def test_the_try_it_form_gets_each_kind_of_parameter_typed(page, api, seeded):
    publish(api, name="every-kind", yaml=EVERY_KIND)

    props = island(page.get("/endpoints/every-kind/"))

    header = parameter(props, "header")
    assert (header["type"], header["default"]) == ("boolean", True)
    algorithm = parameter(props, "algorithm")
    assert algorithm["enum"] == ["logistic_regression", "random_forest", "linear_regression"]
    assert algorithm["default"] == "random_forest"
    trees = parameter(props, "trees")
    assert trees["required"] and (trees["min"], trees["max"]) == (1, 5000) and trees.get("default") is None
    iterations = parameter(props, "iterations")
    assert iterations["optional"] and (iterations["min"], iterations["max"]) == (1, 100000)
    assert parameter(props, "raw")["kind"] == "data"
