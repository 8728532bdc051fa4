"""The server-rendered asset and compute pages: lists, detail pages, code, diffs and previews."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.management import call_command

from studio.choices import ComputeKind, ComputeState
from studio.models import Component, Compute, DataAsset, Environment
from studio.registry import register_file
from studio.views import assets as asset_views

pytestmark = pytest.mark.django_db

ENVIRONMENT = """\
$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
name: pages-env
version: "1"
image: python:3.11-slim
description: A small environment for the page tests.
tags:
  team: pages
conda_file:
  channels: [conda-forge]
  dependencies:
    - python=3.11
    - pip:
        - requests==2.32.3
  variables:
    PAGES_MODE: strict
"""

BUILD_ENVIRONMENT = """\
name: pages-built
version: "1"
build:
  path: ./context
  dockerfile_path: Dockerfile
"""

COMPONENT = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: pages_train
version: "{version}"
display_name: Pages Train
description: Trains a model for the page tests{extra_description}.
tags:
  category: Model Training
inputs:
  training_data:
    type: uri_folder
    description: The table to learn from.
  label_column:
    type: string
    description: The <b>column</b> to predict.
  algorithm:
    type: string
    enum: [forest, linear]
    default: {algorithm}
  epochs:
    type: integer
    optional: true
    min: 1
    max: 50
outputs:
  model:
    type: uri_folder
    description: The fitted model.
code: ./src
environment: azureml:pages-env:1
command: >-
  python main.py --data ${{{{inputs.training_data}}}} --label '<x>' --algorithm ${{{{inputs.algorithm}}}}
  --out ${{{{outputs.model}}}} $[[--epochs ${{{{inputs.epochs}}}}]]
"""

OTHER_COMPONENT = """\
type: command
name: pages_prepare
version: "1"
display_name: Pages Prepare
description: Cleans a table.
tags:
  category: Data Transformation
  owner: data-team
outputs:
  table:
    type: uri_folder
environment:
  image: python:3.11-slim
command: echo ${{outputs.table}}
"""

CSV = "sepal,petal,species\n" + "".join(f"{index}.1,{index}.2,kind-{index}\n" for index in range(30))


def _png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.fixture(autouse=True)
def artifacts_root(settings, tmp_path):
    settings.ARTIFACTS_ROOT = tmp_path / "artifacts"


@pytest.fixture
def assets(tmp_path):
    """Two environments, two versions of a component (with code), another component, and data."""
    base = tmp_path / "defs"
    register_file(_write(base / "env.yml", ENVIRONMENT))
    _write(base / "context" / "Dockerfile", "FROM python:3.11-slim\nRUN pip install rich\n")
    _write(base / "context" / "requirements.txt", "rich\n")
    register_file(_write(base / "built.yml", BUILD_ENVIRONMENT))
    _write(base / "src" / "main.py", "import sys\n\nprint('training <model>', sys.argv)\n")
    _write(base / "src" / "lib" / "helpers.py", "VALUE = 1\n")
    _write(base / "src" / "weights.bin", b"\xff\xfe\x00\x81binary")
    first, _ = register_file(
        _write(base / "c1.yml", COMPONENT.format(version=1, algorithm="forest", extra_description=""))
    )
    _write(base / "src" / "main.py", "import sys\n\nprint('training v2', sys.argv)\n")
    second, _ = register_file(
        _write(base / "c2.yml", COMPONENT.format(version=2, algorithm="linear", extra_description=" again"))
    )
    register_file(_write(base / "other.yml", OTHER_COMPONENT))
    _write(base / "table.csv", CSV)
    register_file(
        _write(base / "table.yml", "type: uri_file\nname: pages-table\nversion: '1'\npath: ./table.csv\n")
    )
    _write(base / "folder" / "images" / "flower.png", _png())
    _write(base / "folder" / "notes.txt", "".join(f"note {index}\n" for index in range(80)))
    _write(base / "folder" / "fake.png", b"<svg onload=alert(1)>")
    register_file(
        _write(
            base / "folder.yml",
            "type: uri_folder\nname: pages-folder\nversion: '1'\npath: ./folder\n"
            "description: Pictures and notes.\ntags: {format: mixed}\n",
        )
    )
    register_file(
        _write(
            base / "url.yml",
            "type: uri_file\nname: pages-remote\nversion: '1'\npath: https://example.com/data.csv\n",
        )
    )
    return {"component_v1": first, "component_v2": second}


@pytest.fixture
def local_compute():
    return Compute.objects.create(name="local", kind=ComputeKind.LOCAL, max_concurrent_steps=3, cpus=4)


def _text(response) -> str:
    return response.content.decode()


# --- Lists ---------------------------------------------------------------------------------------


def test_it_lists_one_row_per_component_name_with_its_latest_version(admin_client, assets):
    response = admin_client.get("/components/")
    assert response.status_code == 200
    html = _text(response)
    rows = re.findall(r'<tr class="row-link[^"]*">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    train = next(row for row in rows if "pages_train" in row)
    assert 'href="/components/pages_train/"' in train
    assert "Pages Train" in train and "Model Training" in train
    assert "<code>2</code>" in train  # the latest version
    assert "2 versions" in train
    assert "Trains a model for the page tests again." in train


def test_it_searches_names_and_descriptions(admin_client, assets):
    html = _text(admin_client.get("/components/", {"q": "cleans"}))
    assert "pages_prepare" in html and "pages_train" not in html
    html = _text(admin_client.get("/components/", {"q": "TRAIN"}))
    assert "pages_train" in html and "pages_prepare" not in html
    html = _text(admin_client.get("/environments/", {"q": "nothing-like-this"}))
    assert "No environment matches" in html


def test_it_filters_by_a_tag_and_offers_the_tags_present(admin_client, assets):
    html = _text(admin_client.get("/components/"))
    assert '<option value="category:Data Transformation">' in html
    assert '<option value="owner:data-team">' in html
    html = _text(admin_client.get("/components/", {"tag": "category:Data Transformation"}))
    assert "pages_prepare" in html and "pages_train" not in html
    assert '<option value="category:Data Transformation" selected>' in html
    html = _text(admin_client.get("/data/", {"tag": "format:mixed"}))
    assert "pages-folder" in html and "pages-table" not in html


def test_it_hides_archived_assets_unless_asked(admin_client, assets):
    Component.objects.get(name="pages_prepare").set_archived(True)
    assert "pages_prepare" not in _text(admin_client.get("/components/"))
    html = _text(admin_client.get("/components/", {"archived": "1"}))
    assert "pages_prepare" in html and "archived" in html


def test_it_paginates_the_names_and_keeps_the_filters(admin_client, assets, monkeypatch):
    monkeypatch.setattr(asset_views, "PAGE_SIZE", 1)
    first = _text(admin_client.get("/components/", {"q": "pages"}))
    assert "Page 1 of 2" in first and "pages_prepare" in first
    assert 'href="?q=pages&amp;page=2"' in first
    second = _text(admin_client.get("/components/", {"q": "pages", "page": "2"}))
    assert "pages_train" in second and "pages_prepare" not in second


def test_it_renders_every_list_and_detail_page_of_the_built_in_library(admin_client):
    call_command("seed_library", verbosity=0)
    for url, model in (("/environments/", Environment), ("/components/", Component), ("/data/", DataAsset)):
        listing = admin_client.get(url)
        assert listing.status_code == 200
        for asset in model.objects.all():
            assert f'href="{url}{asset.name}/"' in _text(listing)
            detail = admin_client.get(f"{url}{asset.name}/{asset.version}/")
            assert detail.status_code == 200, asset
            assert f"azureml:{asset.name}:{asset.version}" in _text(detail)
    assert "Fisher" in _text(admin_client.get("/data/iris/"))


# --- Environments --------------------------------------------------------------------------------


def test_it_shows_an_environment_image_dependencies_and_variables(admin_client, assets, settings):
    settings.STUDIO_IMAGE_MAP = {"python": "mirror.local/python"}
    response = admin_client.get("/environments/pages-env/")
    assert response.status_code == 200
    html = _text(response)
    assert "<code>python:3.11-slim</code>" in html
    assert "<code>mirror.local/python:3.11-slim</code>" in html
    assert "<code>python=3.11</code>" in html and "<code>requests==2.32.3</code>" in html
    assert "<code>PAGES_MODE</code>" in html and "<code>strict</code>" in html
    assert "not built yet" in html
    assert 'value="azureml:pages-env:1"' in html
    assert 'href="/api/v1/environments/pages-env/1/export/"' in html
    assert "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json" in html
    assert 'href="/components/pages_train/1/"' in html  # used by


def test_it_lists_the_build_context_of_an_environment(admin_client, assets):
    html = _text(admin_client.get("/environments/pages-built/1/"))
    assert "<code>Dockerfile</code>" in html and "<code>requirements.txt</code>" in html


# --- Components ----------------------------------------------------------------------------------


def test_it_shows_the_typed_ports_of_a_component(admin_client, assets):
    html = _text(admin_client.get("/components/pages_train/"))
    inputs = re.search(
        r'<table class="table ports-table" aria-labelledby="inputs-title">(.*?)</table>', html, re.S
    )[1]
    rows = dict(re.findall(r'<tr data-port="(\w+)">(.*?)</tr>', inputs, re.S))
    assert list(rows) == ["training_data", "label_column", "algorithm", "epochs"]
    assert "uri_folder" in rows["training_data"] and ">no<" in rows["training_data"]
    assert "The &lt;b&gt;column&lt;/b&gt; to predict." in rows["label_column"]
    assert "<code>linear</code>" in rows["algorithm"] and ">forest</li>" in rows["algorithm"]
    assert ">yes<" in rows["epochs"] and '<code class="range">1 – 50</code>' in rows["epochs"]
    outputs = re.search(r'aria-labelledby="outputs-title">(.*?)</table>', html, re.S)[1]
    assert '<tr data-port="model">' in outputs and "The fitted model." in outputs
    assert 'href="/environments/pages-env/1/"' in html


def test_it_highlights_the_placeholders_of_the_command_and_escapes_the_rest(admin_client, assets):
    html = _text(admin_client.get("/components/pages_train/2/"))
    command = re.search(r'<pre class="code-block command"[^>]*><code>(.*?)</code></pre>', html, re.S)[1]
    assert '<mark class="placeholder placeholder--input">${{inputs.training_data}}</mark>' in command
    assert '<mark class="placeholder placeholder--output">${{outputs.model}}</mark>' in command
    assert "&#x27;&lt;x&gt;&#x27;" in command and "<x>" not in command
    assert re.search(
        r'<span class="optional-part"[^>]*><span class="optional-bracket">\$\[\[</span>', command
    )
    assert '<span class="optional-bracket">]]</span></span>' in command


def test_it_opens_a_code_file_as_text(admin_client, assets):
    detail = _text(admin_client.get("/components/pages_train/1/"))
    assert 'href="/components/pages_train/1/code/main.py"' in detail
    assert 'href="/components/pages_train/1/code/lib/helpers.py"' in detail
    response = admin_client.get("/components/pages_train/1/code/main.py")
    assert response.status_code == 200
    assert "print(&#x27;training &lt;model&gt;&#x27;, sys.argv)" in _text(response)
    newer = _text(admin_client.get("/components/pages_train/2/code/main.py"))
    assert "training v2" in newer
    binary = admin_client.get("/components/pages_train/1/code/weights.bin")
    assert binary.status_code == 200 and "binary file" in _text(binary)


def test_it_answers_404_for_unknown_assets_versions_and_code_paths(admin_client, assets):
    for url in (
        "/components/nope/",
        "/components/pages_train/9/",
        "/environments/nope/1/",
        "/data/pages-table/7/",
        "/components/pages_train/1/code/missing.py",
        "/components/pages_train/1/code/lib/../main.py",
        "/components/pages_train/1/code/..%2F..%2Fsecret",
        "/components/nope/1/code/main.py",
        "/components/nope/diff/",
        "/computes/nope/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 404, url
        assert "Not found" in _text(response), url


def test_it_diffs_the_exported_definitions_of_two_versions(admin_client, assets):
    detail = _text(admin_client.get("/components/pages_train/2/"))
    assert 'action="/components/pages_train/diff/"' in detail
    response = admin_client.get("/components/pages_train/diff/", {"a": "1", "b": "2"})
    assert response.status_code == 200
    html = _text(response)
    assert '<span class="diff-line diff-line--del">-version: &#x27;1&#x27;</span>' in html
    assert '<span class="diff-line diff-line--add">+version: &#x27;2&#x27;</span>' in html
    assert '<span class="diff-line diff-line--add">+    default: linear</span>' in html
    assert '<span class="diff-line diff-line--del">-    default: forest</span>' in html
    same = _text(admin_client.get("/components/pages_train/diff/", {"a": "2", "b": "2"}))
    assert "No differences" in same
    assert admin_client.get("/components/pages_train/diff/", {"a": "1", "b": "5"}).status_code == 404


# --- Data ----------------------------------------------------------------------------------------


def test_it_previews_the_first_rows_of_a_csv_file(admin_client, assets):
    response = admin_client.get("/data/pages-table/")
    assert response.status_code == 200
    html = _text(response)
    assert '<th scope="col">species</th>' in html
    assert "<td>0.1</td>" in html and "<td>kind-19</td>" in html and "kind-20" not in html
    asset = DataAsset.objects.get(name="pages-table")
    assert asset.snapshot_digest in html
    assert "uri_file" in html and "bytes" in html


def test_it_previews_an_image_of_a_folder_and_serves_it_as_png(admin_client, assets):
    html = _text(admin_client.get("/data/pages-folder/1/", {"file": "images/flower.png"}))
    assert '<img src="/data/pages-folder/1/raw/images/flower.png"' in html
    assert "<code>notes.txt</code>" in html and "3 files" in html
    response = admin_client.get("/data/pages-folder/1/raw/images/flower.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert response.content == _png()


def test_it_serves_only_real_images_from_the_raw_view(admin_client, assets):
    assert admin_client.get("/data/pages-folder/1/raw/notes.txt").status_code == 404
    assert admin_client.get("/data/pages-folder/1/raw/fake.png").status_code == 404
    assert admin_client.get("/data/pages-folder/1/raw/images/../images/flower.png").status_code == 404
    assert admin_client.get("/data/pages-folder/1/raw/missing.png").status_code == 404


def test_it_previews_the_first_lines_of_a_text_file(admin_client, assets):
    html = _text(admin_client.get("/data/pages-folder/1/", {"file": "notes.txt"}))
    assert "note 0\nnote 1\n" in html and "note 49</code>" in html and "note 50" not in html
    assert "The first 50 lines." in html


def test_it_shows_a_url_referenced_data_asset_without_a_preview(admin_client, assets):
    html = _text(admin_client.get("/data/pages-remote/"))
    assert 'href="https://example.com/data.csv"' in html
    assert "nothing stored to preview" in html


# --- Computes ------------------------------------------------------------------------------------


def test_it_shows_a_compute_with_its_capacity_and_no_running_steps(admin_client, local_compute):
    assert 'href="/computes/local/"' in _text(admin_client.get("/computes/"))
    response = admin_client.get("/computes/local/")
    assert response.status_code == 200
    html = _text(response)
    assert "No steps are running on local." in html
    assert "Check now" in html and "Drain" in html
    assert html.count("csrfmiddlewaretoken") >= 3  # check, drain, sign out


def test_it_checks_drains_and_resumes_a_compute_by_post(admin_client, local_compute):
    response = admin_client.post("/computes/local/check/", follow=True)
    assert response.redirect_chain[-1][0] == "/computes/local/"
    local_compute.refresh_from_db()
    assert local_compute.state == ComputeState.ONLINE and local_compute.engine_info["ncpu"]
    assert "Checked local: Online" in _text(response)

    admin_client.post("/computes/local/drain/")
    local_compute.refresh_from_db()
    assert local_compute.state == ComputeState.DRAINING
    assert "Resume" in _text(admin_client.get("/computes/local/"))

    response = admin_client.post("/computes/local/resume/", follow=True)
    local_compute.refresh_from_db()
    assert local_compute.state == ComputeState.ONLINE
    assert "takes new steps again" in _text(response)


def test_it_refuses_get_on_the_compute_actions(admin_client, local_compute):
    for action in ("check", "drain", "resume"):
        assert admin_client.get(f"/computes/local/{action}/").status_code == 405
    assert admin_client.post("/computes/nope/drain/").status_code == 404


def test_it_needs_a_csrf_token_for_the_compute_actions(client, django_user_model, local_compute):
    from django.test import Client

    user = django_user_model.objects.create_user("ops", password="pw-ops-1234")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post("/computes/local/drain/").status_code == 403
    local_compute.refresh_from_db()
    assert local_compute.state != ComputeState.DRAINING
