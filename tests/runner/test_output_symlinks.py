"""Symbolic links a step leaves in its outputs are never followed out of them (issue #16).

One real step on local compute plants, in each of its three output folders and in its `./outputs`
(default artifacts): a link to a secret file outside (absolute), one to a folder outside, a
relative `../../…` one to the secret, a link to that link, a dangling link, and links to a file and
a folder inside the output. The secret lies where only the server's user can read it (the step
cannot), so anything that follows a link shows it. Then every consumer is checked: the outputs
list, the download and preview routes, the output's hash (the secret changes, the hash does not),
the copy to a datastore path, the data asset registered from an output, the default artifacts and
`studio job download`. An output is its regular files: links, inside or out, are left out of all.

Hard links are not planted: one is a regular file the step made (the kernel lets a step link only
files it owns or may write, fs.protected_hardlinks), so its content is the step's to give.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from cli import main
from runner.choices import JobStatus, StepStatus
from runner.default_artifacts import artifacts_dir
from runner.step_runner import collect_outputs
from studio.storage.job_artifacts import tree_digest
from studio.storage.layout import snapshot_path
from tests.runner.jobs import submit_file, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = b"the-secret-of-issue-16\n"
REAL = {"data.csv": b"a,b\n1,2\n", "sub/real.txt": b"kept\n"}  # what each output really holds
LINKS = ("secret.csv", "outside_dir", "rel.csv", "chain.csv", "dangling.csv", "inside.csv", "inside_dir")
# What a client might ask for: every link, and paths through the linked folders.
ASKED = (*LINKS, "outside_dir/secret.txt", "inside_dir/real.txt", "sub/rel_dir/secret.txt")
UP = "../" * 24  # from any output folder up to /


def _pipeline(folder: Path, secret: Path, asset: str) -> Path:
    plant = (
        "plant() (\n"
        '  cd "$1"\n'
        "  printf 'a,b\\n1,2\\n' > data.csv\n"
        "  mkdir -p sub && printf 'kept\\n' > sub/real.txt\n"
        f"  ln -s {secret} secret.csv\n"
        f"  ln -s {secret.parent} outside_dir\n"
        f"  ln -s {UP}{str(secret).lstrip('/')} rel.csv\n"
        "  ln -s secret.csv chain.csv\n"
        "  ln -s /nonexistent/studio-issue-16 dangling.csv\n"
        "  ln -s data.csv inside.csv\n"
        "  ln -s sub inside_dir\n"
        f"  ln -s {UP}{str(secret.parent).lstrip('/')} sub/rel_dir\n"
        ")\n"
    )
    command = (
        plant
        + "plant ${{outputs.plain}}\nplant ${{outputs.copied}}\nplant ${{outputs.registered}}\n"
        + "mkdir -p outputs && plant outputs\n"
    )
    indented = "".join(f"      {line}\n" for line in command.splitlines())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pipeline.yml").write_text(
        "type: pipeline\n"
        "experiment_name: output-symlinks\n"
        "settings: {default_compute: azureml:local, force_rerun: true}\n"
        "jobs:\n"
        "  links:\n"
        "    type: command\n"
        "    environment: azureml:python-3.11@latest\n"
        "    command: |\n"
        f"{indented}"
        "    outputs:\n"
        "      plain: {type: uri_folder}\n"
        "      copied:\n"
        "        type: uri_folder\n"
        "        path: azureml://datastores/workspaceblobstore/paths/issue16/${{name}}/\n"
        f"      registered: {{type: uri_folder, name: {asset}, version: '1'}}\n"
    )
    return folder / "pipeline.yml"


def _files(root: Path) -> dict[str, bytes]:
    """Every entry under `root` (links as `-> target`), read without following a link."""
    found = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[relative] = b"-> " + os.readlink(path).encode()
            elif path.is_file():
                found[relative] = path.read_bytes()
    return found


def test_links_in_outputs_are_never_followed_out(
    settings, computes, library, worker, tmp_path, admin_client, admin_user, live_server, monkeypatch
):
    from studio.datastores import datastore_folder
    from studio.models import ApiToken, DataAsset

    # Only root may enter pytest's tmp_path: the step cannot read the secret, the server could.
    secret = tmp_path / "private" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(SECRET)
    asset = f"issue16-{uuid.uuid4().hex[:10]}"
    job = wait_for(submit_file(_pipeline(tmp_path / "p", secret, asset)), timeout=180)
    step = job.steps.get()
    assert (job.status, step.status) == (JobStatus.COMPLETED, StepStatus.COMPLETED), step.status_reason

    # The step really planted every link (they are there, on disk, pointing out).
    for output in ("plain", "copied", "registered"):
        folder = Path(step.outputs[output]["path"])
        assert all((folder / link).is_symlink() for link in LINKS), output
        assert (folder / "secret.csv").read_bytes() == SECRET  # the server's user could follow it
        assert (folder / "rel.csv").resolve() == secret

    # --- the outputs list names the regular files only --------------------------------------------
    listing = admin_client.get(f"/api/v1/jobs/{job.name}/steps/links/outputs/").json()
    for output in ("plain", "copied", "registered"):
        assert sorted(f["path"] for f in listing[output]["files"]) == sorted(REAL), output

    # --- download and preview: real files served, every link 404, never the secret ----------------
    base = f"/api/v1/jobs/{job.name}/steps/links"
    for relative, content in REAL.items():
        response = admin_client.get(f"{base}/outputs/plain/{relative}")
        assert response.status_code == 200 and b"".join(response.streaming_content) == content
    for relative in ASKED:
        response = admin_client.get(f"{base}/outputs/plain/{relative}")
        assert response.status_code == 404, relative
        assert SECRET not in b"".join(getattr(response, "streaming_content", [response.content]))
        preview = admin_client.get(f"{base}/preview/", {"output": "plain", "path": relative})
        assert preview.status_code == 404, relative
        assert SECRET.strip() not in preview.content
    assert (
        admin_client.get(f"{base}/preview/", {"output": "plain", "path": "data.csv"}).json()["kind"] == "csv"
    )

    # --- the hash: the real files only; the secret changing changes nothing ------------------------
    only_real = tmp_path / "only-real"
    for relative, content in REAL.items():
        (only_real / relative).parent.mkdir(parents=True, exist_ok=True)
        (only_real / relative).write_bytes(content)
    expected = tree_digest(only_real)
    for output in ("plain", "copied", "registered"):
        assert (step.outputs[output]["hash"], step.outputs[output]["size"]) == expected, output
    secret.write_bytes(b"changed " + SECRET)
    again = collect_outputs({"plain": {"path": step.outputs["plain"]["path"], "type": "uri_folder"}})
    assert again["plain"]["hash"] == step.outputs["plain"]["hash"]

    # --- the datastore copy holds the real files, no link, nothing from outside -------------------
    copied = datastore_folder("workspaceblobstore") / "issue16" / job.name
    assert _files(copied) == REAL

    # --- the registered data asset: a snapshot of the real files --------------------------------------
    version = DataAsset.objects.get(name=asset, version="1")
    assert step.outputs["registered"]["asset"] == f"{asset}:1"
    assert version.snapshot_digest == expected[0]
    assert _files(snapshot_path(version.snapshot_digest)) == REAL

    # --- default artifacts: the real files of ./outputs, every link left out and said so ------------
    artifacts = admin_client.get(f"{base}/artifacts/").json()
    assert sorted(f["path"] for f in artifacts["files"]) == sorted(f"outputs/{r}" for r in REAL)
    skipped = {entry["path"] for entry in artifacts["skipped"]}
    assert {f"outputs/{link}" for link in LINKS} | {"outputs/sub/rel_dir"} == skipped
    kept = _files(artifacts_dir(job.name, "links"))
    assert all(SECRET.strip() not in content for content in kept.values())
    assert not any(content.startswith(b"-> ") for content in kept.values())
    for relative in ASKED:
        assert admin_client.get(f"{base}/artifacts/outputs/{relative}").status_code == 404, relative

    # --- `studio job download` gets the real files, and only them -------------------------------------
    _, raw = ApiToken.issue(admin_user, "issue 16")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("STUDIO_URL", live_server.url)
    monkeypatch.setenv("STUDIO_TOKEN", raw)
    target = tmp_path / "downloaded"
    assert main(["job", "download", job.name, "--path", str(target)]) == 0
    downloaded = _files(target / "links")
    assert all(SECRET.strip() not in content for content in downloaded.values())
    assert not any(content.startswith(b"-> ") for content in downloaded.values())
    files = {relative for relative, content in downloaded.items() if (target / "links" / relative).is_file()}
    expected_files = {
        f"{output}/{relative}" for output in ("plain", "copied", "registered") for relative in REAL
    }
    assert files == expected_files | {f"artifacts/outputs/{relative}" for relative in REAL}
