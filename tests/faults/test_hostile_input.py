"""Hostile uploads, specs and download paths through the real HTTP routes (issue #16).

A canary tree sits next to STUDIO_HOME (files, a folder, a sibling `home-sibling` whose name starts
like the home's): every attempt below is aimed at it, and after them all it is checked byte for
byte, with nothing added. Each hostile upload or spec must get a 4xx with a reason (never a 5xx);
each download-traversal variant (the classes of the MLflow, ClearML and Kubeflow path-traversal
CVEs) must get a 4xx and never the content of a file outside, while the same route still serves its
own file (so the routes are really reached).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from runner.default_artifacts import artifacts_dir
from runner.models import StepRun
from studio.storage.job_artifacts import step_dir
from tests import factories
from tests.studio.test_access import make_world

API = "/api/v1"
SECRET = b"CANARY-SECRET-7f3a\n"
# The extraction root is ARTIFACTS_ROOT/snapshots/.tmp/extract-*/tree, ARTIFACTS_ROOT is
# <root>/home/artifacts: six levels up is <root>, where the canary tree is.
UP = "../" * 6

pytestmark = pytest.mark.django_db


# --- the canary tree --------------------------------------------------------------------------------


def plant_canary(root: Path) -> None:
    (root / "canary" / "folder").mkdir(parents=True)
    (root / "canary" / "secret").write_bytes(SECRET)
    (root / "canary" / "folder" / "inner.txt").write_bytes(SECRET)
    (root / "home-sibling").mkdir()
    (root / "home-sibling" / "secret").write_bytes(SECRET)
    (root / "loose-secret").write_bytes(SECRET)


def tree_state(root: Path, *, keep_all: bool = False) -> dict[str, tuple]:
    """Every path under `root` but the home (unless `keep_all`): its type, mode, size and digest."""
    state = {}
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        if here == root and not keep_all:
            folders[:] = [name for name in folders if name != "home"]
        for name in folders + files:
            path = here / name
            info = path.lstat()
            digest = (
                hashlib.sha256(path.read_bytes()).hexdigest()
                if path.is_file() and not path.is_symlink()
                else ""
            )
            state[str(path.relative_to(root))] = (info.st_mode, info.st_size, digest)
    return state


# --- archives -----------------------------------------------------------------------------------------


def member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "", size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size, info.mode = kind, target, size, 0o644
    return info


def tar(members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz", **options) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode, **options) as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return member(name), data


def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    return member(name, kind, target), None


def zipped(members: list[tuple[str | zipfile.ZipInfo, bytes]], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_with_nul() -> bytes:
    """A member named `evil\\0.txt` (zipfile itself would cut the name at the NUL when writing)."""
    return zipped([("evilX.txt", b"x")]).replace(b"evilX.txt", b"evil\0.txt")


def zip_link(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (0o120777 << 16) | 0
    return info, target.encode()


def sparse_bomb() -> bytes:
    """One tar.gz member of 64 MiB of zeros: a few KiB on the wire."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = member("big.bin")
        info.size = 64 * 1024 * 1024

        class Zeros:
            left = info.size

            def read(self, size: int = -1) -> bytes:
                count = self.left if size < 0 else min(size, self.left)
                self.left -= count
                return b"\0" * count

        archive.addfile(info, Zeros())
    return buffer.getvalue()


def zip_bomb() -> bytes:
    return zipped([("a.bin", b"\0" * (8 * 1024 * 1024)), ("b.bin", b"\0" * (8 * 1024 * 1024))])


def many_files() -> bytes:
    return tar([file(f"f{index}.txt") for index in range(60)])


# --- the hostile uploads and specs ---------------------------------------------------------------------

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)
DEEP_YAML = "x: " + "[" * 700 + "]" * 700 + "\n"
DEEP_JSON = '{"jobs": ' + '{"a": ' * 1100 + "1" + "}" * 1100 + "}"


def snapshot(data: bytes, name: str = "folder.tar.gz", kind: str = "folder") -> tuple[str, dict]:
    return "multipart", {"file": SimpleUploadedFile(name, data), "kind": kind}


def component(code: bytes | None, definition: str | None = None) -> tuple[str, dict]:
    definition = definition or (
        "type: command\nname: hostile\ncode: ./src\nenvironment: azureml:env:1\ncommand: python main.py\n"
    )
    parts = {"file": SimpleUploadedFile("component.yml", definition.encode())}
    if code is not None:
        parts["code"] = SimpleUploadedFile("src.tar.gz", code)
    return "multipart", parts


def data_yaml(text: str, path_part: tuple[str, bytes] | None = None) -> tuple[str, dict]:
    parts = {"file": SimpleUploadedFile("data.yml", text.encode())}
    if path_part:
        parts["path"] = SimpleUploadedFile(*path_part)
    return "multipart", parts


def model(archive: bytes) -> tuple[str, dict]:
    return "multipart", {
        "file": SimpleUploadedFile("model.yml", b"name: hostile-model\npath: ./weights\n"),
        "path": SimpleUploadedFile("weights.tar.gz", archive, content_type="application/gzip"),
    }


def job(inputs: dict | None = None, **command) -> tuple[str, dict]:
    step = {
        "type": "command",
        "command": "echo hi",
        "environment": "azureml:env:1",
        "compute": "box",
        **({"inputs": inputs} if inputs else {}),
        **command,
    }
    return "json", {"jobs": {"s": step}}


def hostile_cases(root: Path) -> list[tuple[str, str, str, tuple[str, object]]]:
    """(label, method, route, (body kind, body)): all must be refused with a 4xx and a reason."""
    canary, secret, roots = root / "canary", root / "canary" / "secret", root / "home" / "data-root"
    S, C, D, M, J = (
        f"{API}/snapshots/",
        f"{API}/components/",
        f"{API}/data/",
        f"{API}/models/",
        f"{API}/jobs/",
    )
    return [
        # archives through the snapshot upload (what `studio job submit` sends for local data)
        ("tar ../ to the canary", "post", S, snapshot(tar([file("ok.txt"), file(f"{UP}canary/evil")]))),
        ("tar ../ deeper than /", "post", S, snapshot(tar([file("../" * 40 + "tmp/evil-x")]))),
        ("tar absolute path", "post", S, snapshot(tar([file(f"{canary}/evil")]))),
        (
            "tar absolute /etc/passwd",
            "post",
            S,
            snapshot(tar([file("/etc/passwd", b"root::0:0::/:/bin/sh\n")])),
        ),
        ("tar symlink to the canary", "post", S, snapshot(tar([link("c", str(canary))]))),
        (
            "tar symlink then write through it",
            "post",
            S,
            snapshot(tar([link("c", str(canary)), file("c/evil")])),
        ),
        ("tar relative symlink out", "post", S, snapshot(tar([link("up", f"{UP}canary")]))),
        ("tar symlink chain", "post", S, snapshot(tar([link("sub/up", ".."), link("escape", "sub/up/..")]))),
        (
            "tar hardlink to the canary secret",
            "post",
            S,
            snapshot(tar([link("stolen", str(secret), tarfile.LNKTYPE)])),
        ),
        (
            "tar hardlink ../ up",
            "post",
            S,
            snapshot(tar([link("stolen", f"{UP}canary/secret", tarfile.LNKTYPE)])),
        ),
        ("tar character device", "post", S, snapshot(tar([(member("null", tarfile.CHRTYPE), None)]))),
        ("tar block device", "post", S, snapshot(tar([(member("sda", tarfile.BLKTYPE), None)]))),
        ("tar fifo", "post", S, snapshot(tar([(member("pipe", tarfile.FIFOTYPE), None)]))),
        (
            "tar duplicate: a file, then a link of its name out",
            "post",
            S,
            snapshot(tar([file("a"), link("a", str(canary)), file("a/evil")])),
        ),
        (
            "tar PAX path header ../",
            "post",
            S,
            snapshot(tar([(_pax(f"{UP}canary/evil-pax"), b"x")], format=tarfile.PAX_FORMAT)),
        ),
        (
            "tar GNU long name ../",
            "post",
            S,
            snapshot(tar([file(f"{UP}canary/" + "l" * 120)], format=tarfile.GNU_FORMAT)),
        ),
        ("tar name with a newline", "post", S, snapshot(tar([file("evil\nname.txt")]))),
        ("tar name with a backslash ..\\", "post", S, snapshot(tar([file("..\\..\\evil")]))),
        ("tar.gz bomb (64 MiB of zeros)", "post", S, snapshot(sparse_bomb())),
        ("zip bomb (16 MiB of zeros)", "post", S, snapshot(zip_bomb(), "folder.zip")),
        ("too many files", "post", S, snapshot(many_files())),
        (
            "zip ../ to the canary",
            "post",
            S,
            snapshot(zipped([("ok.txt", b"ok"), (f"{UP}canary/evil", b"x")]), "f.zip"),
        ),
        ("zip absolute path", "post", S, snapshot(zipped([(f"{canary}/evil", b"x")]), "f.zip")),
        ("zip backslash ..\\", "post", S, snapshot(zipped([("..\\..\\evil", b"x")]), "f.zip")),
        ("zip symlink out", "post", S, snapshot(zipped([zip_link("c", str(canary))]), "f.zip")),
        ("zip name with NUL", "post", S, snapshot(zip_with_nul(), "f.zip")),
        (
            "tar PAX path with NUL",
            "post",
            S,
            snapshot(tar([(_pax("evil\0.txt"), b"x")], format=tarfile.PAX_FORMAT)),
        ),
        ("tar name with an escape sequence", "post", S, snapshot(tar([file("\x1b[2Jevil.txt")]))),
        ("not an archive", "post", S, snapshot(b"\x00garbage" * 100)),
        ("an empty upload", "post", S, snapshot(b"")),
        ("kind neither file nor folder", "post", S, snapshot(b"x", kind="../../etc")),
        ("no file part", "post", S, ("multipart", {"kind": "folder"})),
        ("a JSON body to a multipart route", "post", S, ("json", {"file": "/etc/passwd"})),
        # components, data, models, environments
        ("component code archive with ../", "post", C, component(tar([file(f"{UP}canary/evil")]))),
        ("component code archive with a link out", "post", C, component(tar([link("main.py", str(secret))]))),
        (
            "component code path escaping",
            "post",
            C,
            component(
                None,
                "type: command\nname: hostile\ncode: ../../../canary\n"
                "environment: azureml:env:1\ncommand: x\n",
            ),
        ),
        (
            "component code absolute path",
            "post",
            C,
            component(
                None,
                f"type: command\nname: hostile\ncode: {canary}\nenvironment: azureml:env:1\ncommand: x\n",
            ),
        ),
        ("component YAML bomb", "post", C, component(None, BILLION_LAUGHS)),
        ("component YAML nested 700 deep", "post", C, component(None, DEEP_YAML)),
        ("component JSON nested 1100 deep", "post", C, ("raw", ("application/json", DEEP_JSON))),
        (
            "environment conda file from the server",
            "post",
            f"{API}/environments/",
            ("json", {"name": "h-env", "image": "python:3.12", "conda_file": str(secret)}),
        ),
        (
            "environment build context escaping",
            "post",
            f"{API}/environments/",
            ("json", {"name": "h-env", "build": {"path": f"{UP}canary"}}),
        ),
        ("data path ..", "post", D, ("json", {"name": "h", "type": "uri_folder", "path": ".."})),
        (
            "data path of a server file",
            "post",
            D,
            ("json", {"name": "h", "type": "uri_file", "path": str(secret)}),
        ),
        (
            "data path /etc/passwd",
            "post",
            D,
            ("json", {"name": "h", "type": "uri_file", "path": "/etc/passwd"}),
        ),
        (
            "data file:// URI",
            "post",
            D,
            ("json", {"name": "h", "type": "uri_file", "path": f"file://{secret}"}),
        ),
        (
            "data datastore path escaping",
            "post",
            D,
            (
                "json",
                {
                    "name": "h",
                    "type": "uri_folder",
                    "path": "azureml://datastores/workspaceblobstore/paths/../../..",
                },
            ),
        ),
        (
            "data datastore path escaping (encoded)",
            "post",
            D,
            (
                "json",
                {
                    "name": "h",
                    "type": "uri_folder",
                    "path": "azureml://datastores/workspaceblobstore/paths/%2e%2e/%2e%2e",
                },
            ),
        ),
        (
            "data YAML naming a path outside, no part",
            "post",
            D,
            data_yaml(f"name: h\ntype: uri_file\npath: {UP}canary/secret\n"),
        ),
        ("data YAML bomb", "post", D, data_yaml(BILLION_LAUGHS)),
        (
            "model archive with a hardlink out",
            "post",
            M,
            model(tar([link("w", str(secret), tarfile.LNKTYPE)])),
        ),
        ("model archive with ../", "post", M, model(tar([file(f"{UP}canary/evil")]))),
        ("model path escaping", "post", M, ("json", {"name": "h", "path": f"{UP}canary"})),
        # job specs
        (
            "job input: /etc/passwd as local data",
            "post",
            J,
            job({"x": {"type": "uri_file", "path": "/etc/passwd"}}),
        ),
        (
            "job input: the canary as local data",
            "post",
            J,
            job({"x": {"type": "uri_folder", "path": str(canary)}}),
        ),
        (
            "job input: datastore path escaping",
            "post",
            J,
            job(
                {
                    "x": {
                        "type": "uri_folder",
                        "path": "azureml://datastores/workspaceblobstore/paths/../../..",
                    }
                }
            ),
        ),
        ("job input: file:// URI", "post", J, job({"x": {"type": "uri_file", "path": "file:///etc/passwd"}})),
        ("job code path escaping", "post", J, job(code=f"{UP}canary")),
        (
            "job output path escaping",
            "post",
            J,
            job(outputs={"o": {"type": "uri_folder", "path": f"{UP}canary"}}),
        ),
        ("job JSON nested 1100 deep", "post", J, ("raw", ("application/json", DEEP_JSON))),
        ("job as XML", "post", J, ("raw", ("application/xml", "<jobs><s/></jobs>"))),
        ("draft import YAML bomb", "post", f"{API}/drafts/import/", ("json", {"yaml": BILLION_LAUGHS})),
        # server paths with STUDIO_DATA_ROOTS set to <root>/home/data-root (holding a link to the canary)
        (
            "job input: a data root, then ../",
            "post",
            J,
            job({"x": {"type": "uri_file", "path": f"{roots}/../../canary/secret"}}),
        ),
        (
            "job input: through a link in a data root",
            "post",
            J,
            job({"x": {"type": "uri_file", "path": f"{roots}/link/secret"}}),
        ),
        # a datastore's folder (Admins register them)
        ("datastore folder outside", "post", f"{API}/datastores/", datastore(str(canary))),
        (
            "datastore folder: a data root, then ../",
            "post",
            f"{API}/datastores/",
            datastore(f"{roots}/../../canary"),
        ),
        ("datastore folder: a link in a data root", "post", f"{API}/datastores/", datastore(f"{roots}/link")),
        ("datastore folder: relative", "post", f"{API}/datastores/", datastore("../canary")),
    ]


def datastore(folder: str) -> tuple[str, dict]:
    definition = f"name: hostile-ds\nserver_folder: {folder}\n".encode()
    return "multipart", {"file": SimpleUploadedFile("ds.yml", definition)}


def _pax(name: str) -> tarfile.TarInfo:
    info = member("innocent.txt")
    info.pax_headers = {"path": name}
    return info


def send(client, method: str, route: str, body: tuple[str, object]):
    kind, payload = body
    if kind == "multipart":
        for part in payload.values():
            if hasattr(part, "seek"):
                part.seek(0)
        return getattr(client, method)(route, payload, format="multipart")
    if kind == "json":
        return getattr(client, method)(route, json.dumps(payload), content_type="application/json")
    content_type, text = payload
    return getattr(client, method)(route, text, content_type=content_type)


def reason_of(response) -> str:
    try:
        body = response.json()
    except (ValueError, TypeError):
        return ""
    return str(body.get("detail") or body.get("errors") or "") if isinstance(body, dict) else str(body)


# --- download traversal --------------------------------------------------------------------------------


def traversal_variants(root: Path) -> list[tuple[str, str]]:
    """(label, the path as it goes on the URL): the classes of the ML tools' traversal CVEs."""
    up = "../" * 12
    return [
        ("../", f"{up}canary/secret"),
        ("..%2f", ("..%2f" * 12) + "canary%2fsecret"),
        ("%2e%2e/", ("%2e%2e/" * 12) + "canary/secret"),
        ("double-encoded %252e%252e%252f", ("%252e%252e%252f" * 12) + "canary/secret"),
        ("backslash", ("..\\" * 12) + "canary\\secret"),
        ("%5c backslash", ("..%5c" * 12) + "canary%5csecret"),
        ("absolute", str(root / "canary" / "secret")),
        ("absolute /etc/passwd", "/etc/passwd"),
        ("NUL", "ok.csv%00/../" + up + "canary/secret"),
        ("overlong UTF-8 dots", ("%c0%ae%c0%ae/" * 12) + "canary/secret"),
        ("....//", ("....//" * 12) + "canary/secret"),
        ("..././", ("..././" * 12) + "canary/secret"),
        ("Windows drive", "C:\\Windows\\win.ini"),
        ("Windows drive slash", "C:/canary/secret"),
        ("UNC", "\\\\server\\share\\secret"),
        ("unicode dots (fullwidth)", ("\uff0e\uff0e/" * 12) + "canary/secret"),
        ("unicode two-dot leader", ("\u2025/" * 12) + "canary/secret"),
        ("inside then out", "sub/" + up + "canary/secret"),
        ("symlink in the path", "link/secret"),
        ("symlink to a file", "link-file"),
        ("home sibling", f"{up}home-sibling/secret"),
    ]


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def make_download_world(root: Path) -> dict:
    """A job with a step whose output `out` and default artifacts hold real files, a link to the
    canary folder and a link to the canary secret; a component with code and a data asset of an image."""
    world = make_world()
    owner = world["people"]["owner"]
    step = StepRun.objects.create(job_id=_job_pk(world["job"]), name="s", status="Completed")
    out = step_dir(world["job"], "s") / "out"
    artifacts = artifacts_dir(world["job"], "s") / "outputs"
    for folder in (out / "sub", artifacts / "sub"):
        folder.mkdir(parents=True)
    for folder in (out, artifacts):
        (folder / "ok.csv").write_bytes(b"a,b\n1,2\n")
        (folder / "link").symlink_to(root / "canary")
        (folder / "link-file").symlink_to(root / "canary" / "secret")
    step.outputs = {"out": {"type": "uri_folder", "path": str(out)}}
    step.save()
    api = factories.api_client(owner)
    created = api.post(
        f"{API}/components/",
        {
            "file": SimpleUploadedFile(
                "c.yml", b"type: command\nname: comp\ncode: ./src\nenvironment: azureml:env:1\ncommand: x\n"
            ),
            "code": SimpleUploadedFile("src.tar.gz", tar([file("ok.csv", b"a,b\n")])),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    created = api.post(
        f"{API}/data/",
        {
            "file": SimpleUploadedFile("d.yml", b"name: pics\ntype: uri_folder\npath: ./pics\n"),
            "path": SimpleUploadedFile("pics.tar.gz", tar([file("ok.png", PNG)])),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    return world


def _job_pk(name: str) -> int:
    from runner.models import PipelineJob

    return PipelineJob.objects.get(name=name).pk


def download_routes(job: str) -> list[tuple[str, str, str]]:
    """(label, URL with {path}, the safe file that must be served): the routes that serve files."""
    return [
        ("output download", f"{API}/jobs/{job}/steps/s/outputs/out/{{path}}", "ok.csv"),
        ("output preview", f"{API}/jobs/{job}/steps/s/preview/?output=out&path={{path}}", "ok.csv"),
        ("artifact download", f"{API}/jobs/{job}/steps/s/artifacts/outputs/{{path}}", "ok.csv"),
        ("component code page", "/components/comp/1/code/{path}", "ok.csv"),
        ("data raw page", "/data/pics/1/raw/{path}", "ok.png"),
    ]


# --- the test --------------------------------------------------------------------------------------------


@pytest.fixture
def home(settings, tmp_path):
    plant_canary(tmp_path)
    settings.STUDIO_HOME = tmp_path / "home"
    settings.ARTIFACTS_ROOT = tmp_path / "home" / "artifacts"
    settings.STUDIO_MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024
    settings.STUDIO_MAX_SNAPSHOT_FILES = 50
    (tmp_path / "home" / "data-root").mkdir(parents=True)
    (tmp_path / "home" / "data-root" / "link").symlink_to(tmp_path / "canary")
    settings.STUDIO_DATA_ROOTS = [str(tmp_path / "home" / "data-root")]
    return tmp_path


def test_hostile_uploads_and_specs_are_refused_and_write_nothing_outside(home):
    started = time.monotonic()
    before = tree_state(home)
    world = make_world()
    home_before = tree_state(home / "home", keep_all=True)
    admin = factories.api_client(world["people"]["admin"])
    member_client = factories.api_client(world["people"]["other"])
    cases = hostile_cases(home)
    wrong, statuses = [], {}
    for label, method, route, body in cases:
        client = admin if "datastores" in route else member_client
        response = send(client, method, route, body)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        reason = reason_of(response)
        if not 400 <= response.status_code < 500 or not reason:
            wrong.append(
                f"{label}: {method.upper()} {route} -> {response.status_code} {response.content[:300]!r}"
            )
    after = tree_state(home)
    changed = sorted(set(before.items()) ^ set(after.items()))
    home_after = tree_state(home / "home", keep_all=True)
    # everything refused: not even inside the home is a file or link left (no snapshot, no scratch)
    changed += sorted(
        f"home/{path}"
        for path, (mode, *_) in set(home_before.items()) ^ set(home_after.items())
        if not stat.S_ISDIR(mode)
    )
    print(
        f"\nhostile input: {len(cases)} uploads/specs, {len(cases) - len(wrong)} refused with a 4xx and a "
        f"reason ({dict(sorted(statuses.items()))}), canary tree {len(before)} entries, "
        f"{len(changed)} changed, in {time.monotonic() - started:.1f}s"
    )
    assert len(cases) >= 30
    assert not wrong, "\n".join(wrong)
    assert not changed, f"written outside: {changed}"
    assert not Path("/tmp/evil-x").exists()


def test_download_traversal_never_leaves_the_folder(home):
    started = time.monotonic()
    before = tree_state(home)
    world = make_download_world(home)
    viewer = factories.api_client(world["people"]["viewer"])
    from django.test import Client

    browser = Client()
    browser.force_login(world["people"]["viewer"])
    passwd = Path("/etc/passwd").read_bytes()[:16]
    variants = traversal_variants(home)
    wrong, tried, statuses = [], 0, {}
    for route_label, template, safe in download_routes(world["job"]):
        client = viewer if template.startswith("/api/") else browser
        served = client.get(template.format(path=safe))
        if served.status_code != 200:
            wrong.append(
                f"{route_label}: its own file {safe} -> {served.status_code} (the route is not reached)"
            )
        for label, path in variants:
            response = client.get(template.format(path=path))
            tried += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            content = b"".join(response.streaming_content) if response.streaming else response.content
            if not 400 <= response.status_code < 500 or SECRET.strip() in content or passwd in content:
                wrong.append(f"{route_label} / {label}: {path!r} -> {response.status_code} {content[:200]!r}")
    after = tree_state(home)
    print(
        f"\ndownload traversal: {len(variants)} variants x {len(download_routes(world['job']))} routes "
        f"= {tried} tries, {tried - len(wrong)} refused with a 4xx ({dict(sorted(statuses.items()))}), "
        f"none served a file outside: {not wrong}, in {time.monotonic() - started:.1f}s"
    )
    assert len(variants) >= 12
    assert not wrong, "\n".join(wrong)
    assert before == after
