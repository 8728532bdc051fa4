"""Assets registered from the browser (issue #15 point 4), in Chromium, each then in the designer.

A Member uploads a CSV and a folder as data assets (with the upload progress bar), registers an
environment from the form (base image, pip packages, variables) and a component from YAML that
uses it, after the same problem the CLI reports (file, line, field) is shown for a broken version.
The data assets and the component then appear in the designer's palette. Screenshots at 1280x720
land in tests/e2e/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import chromium_page, sign_in
from tests.e2e.test_designer import create_draft, screenshot

pytestmark = pytest.mark.chromium

COMPONENT_YAML = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: e2e_shout
version: "1"
display_name: E2E Shout
tags:
  category: General
inputs:
  words:
    type: text
outputs:
  result:
    type: uri_folder
environment: azureml:e2e-env@latest
command: python -c "print(1)" ${{inputs.words}} ${{outputs.result}}
"""


def registered(page, text: str) -> None:
    page.get_by_role("status").filter(has_text=text).wait_for(timeout=30_000)


def test_a_member_registers_data_an_environment_and_a_component_in_the_browser(studio_server, tmp_path):
    csv = tmp_path / "sales.csv"
    csv.write_text("region,amount\nnorth,10\nsouth,12\n" + "west,7\n" * 20_000)
    folder = tmp_path / "daily"
    (folder / "sub").mkdir(parents=True)
    (folder / "monday.csv").write_text("day,amount\nmon,1\n")
    (folder / "sub" / "tuesday.csv").write_text("day,amount\ntue,2\n")

    with chromium_page(width=1280, height=720) as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, studio_server, "/data/")

        # A CSV file from the data list's "New data asset" button, with a progress bar
        page.get_by_role("link", name="New data asset").click()
        page.wait_for_url(f"{studio_server.url}/data/new/")
        form = page.get_by_role("form", name="New data asset")
        form.get_by_label("Name", exact=True).fill("e2e-sales")
        form.get_by_label("File", exact=True).set_input_files(str(csv))
        form.get_by_role("button", name="Upload and register").click()
        registered(page, "Registered data asset e2e-sales:1")
        assert page.get_by_label("Upload progress").count() == 0  # gone once done
        screenshot(page, "asset-new-data")

        # A folder as uri_folder
        page.reload()
        form.get_by_label("Name", exact=True).fill("e2e-daily")
        form.get_by_text("A folder (uri_folder)").click()
        form.get_by_label("Folder", exact=True).set_input_files(str(folder))
        form.get_by_role("button", name="Upload and register").click()
        registered(page, "Registered data asset e2e-daily:1")
        shown = page.request.get(f"{studio_server.url}/api/v1/data/e2e-daily/1/").json()
        assert (shown["data_type"], shown["file_count"]) == ("uri_folder", 2), shown

        # The same refusal the CLI gives, on its field: a name Studio does not take
        page.reload()
        form.get_by_label("Name", exact=True).fill("bad name!")
        form.get_by_label("File", exact=True).set_input_files(str(csv))
        form.get_by_role("button", name="Upload and register").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("name", timeout=30_000)
        api = page.request.post(
            f"{studio_server.url}/api/v1/data/",
            data='{"name": "bad name!", "path": "x.csv"}',
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf(page)},
        )
        assert api.status == 400
        assert api.json()["problems"][0]["message"] in alert.inner_text()

        # An environment from the form
        page.goto(f"{studio_server.url}/environments/")
        page.get_by_role("link", name="New environment").click()
        form = page.get_by_role("form", name="New environment")
        form.get_by_label("Name", exact=True).fill("e2e-env")
        form.get_by_label("Pip packages, one a line").fill("pandas>=2\n")
        form.get_by_label("Environment variables, NAME=value a line").fill("OMP_NUM_THREADS=1\nBAD LINE\n")
        form.get_by_role("button", name="Register environment").click()
        expect(page.get_by_role("alert")).to_contain_text("line 2: expected NAME=value")
        form.get_by_label("Environment variables, NAME=value a line").fill("OMP_NUM_THREADS=1\n")
        form.get_by_role("button", name="Register environment").click()
        registered(page, "Registered environment e2e-env:1")
        screenshot(page, "asset-new-environment")
        env = page.request.get(f"{studio_server.url}/api/v1/environments/e2e-env/1/").json()
        assert "OMP_NUM_THREADS" in str(env), env

        # A component from YAML: first a wrong type, shown with file, line and field
        page.goto(f"{studio_server.url}/components/")
        page.get_by_role("link", name="New component").click()
        form = page.get_by_role("form", name="New component")
        editor = form.get_by_label(re.compile("^component.yml"))
        editor.fill(COMPONENT_YAML)
        form.get_by_role("button", name="Register component").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("component.yml:10: inputs.words.type", timeout=30_000)
        screenshot(page, "asset-new-component-problem")
        editor.fill(COMPONENT_YAML.replace("type: text", "type: string"))
        form.get_by_role("button", name="Register component").click()
        registered(page, "Registered component e2e_shout:1")

        # Each is in the designer's palette
        page.goto(f"{studio_server.url}/designer/")
        create_draft(page, studio_server, "palette check")
        palette = page.locator(".palette-item")
        for label in ("e2e-sales", "e2e-daily", "E2E Shout"):
            expect(palette.filter(has_text=label).first).to_be_visible()
        assert errors == []


def csrf(page) -> str:
    return next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
