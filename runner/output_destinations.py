"""Writing a step's outputs to the datastore paths its YAML gave them (`path: azureml://datastores/…`).

The output stays in Studio's artifact store (where the next steps, previews and downloads read it);
once the step has succeeded, a copy goes to the datastore path, `${{name}}` being the job's name
and `${{output_name}}` the output's. Links inside an output are not copied: nothing is followed
out of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from studio.datastores import datastore_uri_path
from studio.errors import StudioError


class DestinationError(StudioError):
    """An output could not be written to its datastore path: the step fails with this reason (422)."""

    status = 422


def expand(template: str, *, job: str, output: str) -> str:
    """A destination with the job's and the output's names filled in."""
    return template.replace("${{name}}", job).replace("${{output_name}}", output)


def _copy(source: Path, target: Path) -> None:
    if source.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        destination = target / source.name if target.is_dir() else target
        shutil.copyfile(source, destination)
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
            shutil.copyfile(entry, target / relative)


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
