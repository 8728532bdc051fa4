"""`studio job download`: a job's step outputs and default artifacts, to safe paths under a folder.

Outputs go to PATH/<step>/<output>/…; what a step wrote under `./outputs` and `./logs` (its
default artifacts, as Azure ML keeps them) to PATH/<step>/artifacts/outputs|logs/… (to
PATH/<step>/default_artifacts/ when the step has an output named `artifacts`).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote

import requests

from cli.asset_verbs import UPLOAD_TIMEOUT, api_call, checked
from cli.client import StudioClient
from cli.jobs.api import DOWNLOAD_CHUNK, JOB_TERMINAL, SERVER_NAME, STEP_NAME, job_path
from cli.output import CommandError, emit
from cli.packing import format_size

ARTIFACT_FOLDERS = ("artifacts", "default_artifacts")  # the first a step has no output named


def safe_target(root: Path, step: str, output: str, relative: str) -> Path:
    """Where a server-named file goes under ROOT/step/output; CommandError when it would escape."""
    for label, name, rule in (("step", step, STEP_NAME), ("output", output, SERVER_NAME)):
        if not rule.match(name):
            raise CommandError(f"the server named a {label} {name!r}; refusing to write it")
    parts = PurePosixPath(relative).parts
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or "\x00" in relative
        or any(part in ("..", ".", "") for part in parts)
    ):
        raise CommandError(f"the server named a file {relative!r} in {step}/{output}; refusing to write it")
    base = (root / step / output).resolve()
    target = (base / Path(*parts)).resolve()
    if base not in target.parents:
        raise CommandError(f"{relative!r} would land outside {base}; refusing to write it")
    return target


def download_file(client: StudioClient, path: str, target: Path) -> int:
    """Fetch one file to `target` (through a .part file); its size in bytes."""
    response = checked(
        api_call(client, "GET", path, stream=True, headers={"Accept": "*/*"}, timeout=UPLOAD_TIMEOUT)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    size = 0
    try:
        with partial.open("wb") as handle:
            for chunk in response.iter_content(DOWNLOAD_CHUNK):
                handle.write(chunk)
                size += len(chunk)
        partial.replace(target)
    except requests.RequestException as error:
        partial.unlink(missing_ok=True)
        raise CommandError(f"download of {path} broke off: {error}") from None
    finally:
        response.close()
    return size


def download_artifacts(client: StudioClient, args, root: Path, step: str, outputs: dict) -> list[dict]:
    """Fetch a step's default artifacts (`./outputs`, `./logs`) into ROOT/<step>/artifacts/."""
    folder = next((name for name in ARTIFACT_FOLDERS if name not in outputs), None)
    if folder is None:  # never into an output's folder
        raise CommandError(
            f"step {step} has outputs named {' and '.join(ARTIFACT_FOLDERS)}; use --output-name"
        )
    listing = client.request("GET", job_path(args.id, "steps", step, "artifacts"))
    fetched = []
    for entry in (listing or {}).get("files") or []:
        relative = str(entry.get("path") or "")
        target = safe_target(root, step, folder, relative)
        remote = job_path(args.id, "steps", step, "artifacts").rstrip("/")
        remote += "/" + "/".join(quote(part, safe="") for part in PurePosixPath(relative).parts)
        size = download_file(client, remote, target)
        fetched.append(
            {"step": step, "artifact": relative, "path": relative, "size": size, "file": str(target)}
        )
        if args.output != "json":
            print(f"{step}/{folder}/{relative} ({format_size(size)})")
    return fetched


def run_download(args) -> int:
    client = StudioClient.from_saved_login()
    job = client.request("GET", job_path(args.id))
    steps = [step["name"] for step in job.get("steps") or []]
    if args.step:
        if args.step not in steps:
            raise CommandError(f"job {args.id} has no step {args.step!r}; its steps: {', '.join(steps)}")
        steps = [args.step]
    root = Path(args.path)
    downloaded: list[dict] = []
    outputs_seen: set[str] = set()
    for step in steps:
        listing = client.request("GET", job_path(args.id, "steps", step, "outputs"))
        for output, info in (listing or {}).items():
            outputs_seen.add(output)
            if args.output_name and output != args.output_name:
                continue
            for entry in (info or {}).get("files") or []:
                relative = str(entry.get("path") or "")
                target = safe_target(root, step, output, relative)
                remote = job_path(args.id, "steps", step, "outputs", output).rstrip("/")
                remote += "/" + "/".join(quote(part, safe="") for part in PurePosixPath(relative).parts)
                size = download_file(client, remote, target)
                downloaded.append(
                    {"step": step, "output": output, "path": relative, "size": size, "file": str(target)}
                )
                if args.output != "json":
                    print(f"{step}/{output}/{relative} ({format_size(size)})")
        if not args.output_name:
            downloaded.extend(download_artifacts(client, args, root, step, listing or {}))
    if args.output_name and args.output_name not in outputs_seen:
        where = f"step {args.step}" if args.step else f"job {args.id}"
        raise CommandError(
            f"{where} has no output {args.output_name!r}; outputs: {', '.join(sorted(outputs_seen))}"
        )
    if args.output == "json":
        emit(downloaded, output="json", text="")
        return 0
    if not downloaded:
        state = "" if job.get("status") in JOB_TERMINAL else f" (the job is {job.get('status')})"
        print(f"No output or artifact files to download{state}.")
        return 0
    total = sum(item["size"] for item in downloaded)
    print(f"Downloaded {len(downloaded)} file(s), {format_size(total)}, to {root.resolve()}")
    return 0
