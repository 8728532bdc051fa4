"""Importing a pipeline with its local component files (issue #15, point 7): a zip or tar of its
folder through the API and the drafts page, or the folder's files as the browser sends them; the
components are registered anonymously, as `studio job create` does, and unsafe uploads are refused."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designer.models import PipelineDraft
from studio.models import Component

pytestmark = pytest.mark.usefixtures("library")

PIPELINE = b"""\
type: pipeline
display_name: Shout the iris
inputs:
  raw:
    type: uri_file
    path: azureml:iris:1
jobs:
  load:
    component: azureml:import_csv:1
    inputs:
      source_file: ${{parent.inputs.raw}}
  shout:
    component: ./components/shout/component.yml
    inputs:
      table: ${{parent.jobs.load.outputs.dataset}}
"""
COMPONENT = b"""\
name: shout
display_name: Shout
version: "1"
type: command
code: ./src
inputs:
  table: {type: mltable}
outputs:
  loud: {type: uri_folder}
command: python shout.py ${{inputs.table}} ${{outputs.loud}}
environment: azureml:python-3.11@latest
"""
FILES = {
    "shout-iris/pipeline.yml": PIPELINE,
    "shout-iris/components/shout/component.yml": COMPONENT,
    "shout-iris/components/shout/src/shout.py": b"import sys\nprint(sys.argv)\n",
}


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def tarred(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def post_archive(api, name: str, content: bytes):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return api.post("/api/v1/drafts/import/", {"file": upload}, format="multipart")


@pytest.mark.parametrize(("name", "pack"), [("shout-iris.zip", zipped), ("shout-iris.tar.gz", tarred)])
def test_an_archive_of_the_folder_imports_with_its_local_component_registered(api, name, pack):
    response = post_archive(api, name, pack(FILES))

    assert response.status_code == 201, response.json()
    draft = response.json()
    assert draft["name"] == "Shout the iris"
    nodes = {node["id"]: node for node in draft["graph"]["nodes"]}
    component = nodes["shout"]["data"]["component"]
    assert component.startswith("anonymous_component:")
    assert nodes["shout"]["data"]["display_name"] == "Shout"  # not "anonymous_component"
    registered = Component.objects.get(name="anonymous_component", version=component.split(":")[1])
    assert registered.display_name == "Shout" and registered.code_digest  # its code went up with it
    assert nodes["load"]["data"]["component"] == "import_csv:1"
    assert api.post(f"/api/v1/drafts/{draft['id']}/validate/").json() == {"valid": True, "problems": []}


@pytest.mark.parametrize(
    ("files", "field", "words"),
    [
        ({**FILES, "../evil.txt": b"x"}, "file", "'..' is not allowed"),
        ({**FILES, "/etc/evil.txt": b"x"}, "file", "absolute member paths"),
        (
            {
                "pipeline.yml": PIPELINE.replace(b"./components/shout/component.yml", b"../../outside.yml"),
            },
            "pipeline.yml: jobs.shout.component",
            "leaves the uploaded folder",
        ),
        ({"readme.txt": b"no pipeline here"}, "file", "holds no pipeline YAML"),
    ],
)
def test_an_unsafe_or_empty_archive_is_refused_naming_why(api, files, field, words):
    response = post_archive(api, "bad.zip", zipped(files))

    assert response.status_code == 400, response.json()
    problem = response.json()["problems"][0]
    assert problem["field"] == field and words in problem["message"], problem
    assert PipelineDraft.objects.count() == 0
    assert not Component.objects.filter(name="anonymous_component").exists()


def test_the_drafts_page_imports_a_folder_sent_as_files_with_their_paths(client, user):
    client.force_login(user)
    uploads = [SimpleUploadedFile(path.rsplit("/", 1)[-1], content) for path, content in FILES.items()]

    response = client.post("/designer/import/", {"files": uploads, "paths": list(FILES)})

    draft = PipelineDraft.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/designer/{draft.pk}/"
    assert any(
        node["data"].get("component", "").startswith("anonymous_component:") for node in draft.graph["nodes"]
    )


def test_the_drafts_page_refuses_a_folder_path_that_climbs(client, user):
    client.force_login(user)
    uploads = [SimpleUploadedFile("pipeline.yml", PIPELINE)]

    response = client.post("/designer/import/", {"files": uploads, "paths": ["../pipeline.yml"]}, follow=True)

    assert "is not allowed in a member path" in response.content.decode()
    assert PipelineDraft.objects.count() == 0
