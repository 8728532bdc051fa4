"""Delivering a step's outputs where its YAML says: datastore paths (`path: azureml://datastores/…`)
and asset versions (`name`, `version`).

The output stays in Studio's artifact store (where the next steps, previews and downloads read it);
once the step has succeeded, a copy goes to the datastore path, `${{name}}` being the job's name
and `${{output_name}}` the output's. Links inside an output are not copied: nothing is followed
out of it, nor registered with an asset (an output is its regular files, as its hash says).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from studio.datastores import datastore_uri_path
from studio.errors import StudioError
from studio.registry.attachments import LocalAttachments
from studio.registry.data import register_data
from studio.registry.model_assets import register_model
from studio.schemas.loading import LineIndex
from studio.storage.snapshotting import snapshot_file, snapshot_folder


class DestinationError(StudioError):
    """An output could not be written to its datastore path: the step fails with this reason (422)."""

    status = 422


def expand(template: str, *, job: str, output: str) -> str:
    """A destination with the job's and the output's names filled in."""
    return template.replace("${{name}}", job).replace("${{output_name}}", output)


def _copy(source: Path, target: Path) -> None:
    if source.is_symlink():
        raise DestinationError(f"{source.name} is a symbolic link; links are not followed")
    if source.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        destination = target / source.name if target.is_dir() else target
        shutil.copyfile(source, destination, follow_symlinks=False)
        return
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.rglob("*"):
        if entry.is_symlink():
            continue
        relative = entry.relative_to(source)
        if entry.is_dir():
            (target / relative).mkdir(parents=True, exist_ok=True)
        elif entry.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry, target / relative, follow_symlinks=False)


def write_destinations(job: str, destinations: dict[str, str], outputs: dict[str, dict], note) -> None:
    """Copy each output that has a destination there; DestinationError names the first that fails."""
    for port, template in destinations.items():
        output = outputs.get(port)
        if output is None:
            continue
        uri = expand(template, job=job, output=port)
        try:
            _, target = datastore_uri_path(uri)
            _copy(Path(output["path"]), target)
        except (OSError, StudioError) as error:
            raise DestinationError(f"the output {port!r} could not be written to {uri}: {error}") from error
        note(f"output {port} written to {uri}")


MODEL_TYPES = ("mlflow_model", "custom_model")


def register_outputs(
    job: str, step: str, assets: dict[str, dict], outputs: dict[str, dict], note, *, user=None
) -> dict[str, str]:
    """Register each output that names an asset (`name`, `version`) as a data or model asset
    version from a snapshot of it, tagged with the job, step and output that made it; returns
    {port: "NAME:VERSION"}. DestinationError when one cannot be (a version taken by other
    content, an mlflow_model without MLmodel, …)."""
    registered: dict[str, str] = {}
    for port, asset in assets.items():
        output = outputs.get(port)
        if output is None:
            continue
        path, kind = Path(output["path"]), output.get("type", "uri_folder")
        where = f"output {port!r} as {asset['name']}" + (f":{asset['version']}" if asset["version"] else "")
        try:
            if path.is_symlink():  # collect_outputs refused it already; never followed here
                raise DestinationError(f"{path.name} is a symbolic link; links are not followed")
            # Links inside are left out, as the output's hash and the datastore copy leave them out.
            snapshot = snapshot_file(path) if kind == "uri_file" else snapshot_folder(path, skip_links=True)
            document = {
                "name": asset["name"],
                "type": kind,
                "path": f"studio://snapshots/{snapshot.digest}",
                "description": f"Output {port} of step {step} of job {job}",
                "tags": {"job": job, "step": step, "output": port},
            }
            if asset["version"] is not None:
                document["version"] = asset["version"]
            register = register_model if kind in MODEL_TYPES else register_data
            attachments = LocalAttachments(path.parent, filename=f"{job}/{step}")
            version, _ = register(
                document, index=LineIndex(), filename=f"{job}/{step}", attachments=attachments, user=user
            )
        except (OSError, StudioError) as error:
            raise DestinationError(f"the {where} could not be registered: {error}") from error
        registered[port] = f"{version.name}:{version.version}"
        noun = "model" if kind in MODEL_TYPES else "data asset"
        note(f"output {port} registered as {noun} {registered[port]}")
    return registered
