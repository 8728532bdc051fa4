"""Datastores as the compiler and the registry use them: names to server folders, URIs to paths.

`azureml://datastores/<name>/paths/<relative path>` (and the long form with
`subscriptions/…/workspaces/…/` before `datastores/`) names a file or folder inside a datastore's
folder. Nothing a URI names may lie outside that folder: `..`, absolute paths and symbolic
links that lead out are refused.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import IntegrityError, transaction

from studio.errors import StudioError
from studio.models import Datastore
from studio.models.datastores import BUILT_IN_DATASTORES, DEFAULT_DATASTORE, datastores_root

DATASTORE_URI = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/workspaces/[^/]+/)?"
    r"datastores/(?P<name>[^/]+)(?:/paths(?:/(?P<path>.*))?)?$",
    re.IGNORECASE,
)
BUILT_IN_DESCRIPTIONS = {
    "workspaceblobstore": "The default datastore: job outputs and uploads go here unless told otherwise.",
    "workspaceartifactstore": "Where Azure ML keeps run artifacts; kept for YAML that names it.",
}


class DatastoreError(StudioError, ValueError):
    """Raised when a datastore or a datastore URI cannot be used: unknown name, bad path (400)."""


class UnknownDatastoreError(DatastoreError):
    """Raised when a name or URI names no registered datastore (400: it is in the request)."""


def default_datastore() -> str:
    """The name of the workspace's default datastore (Azure ML's `workspaceblobstore`)."""
    return DEFAULT_DATASTORE


def is_datastore_uri(text: str) -> bool:
    """Whether `text` is an `azureml://datastores/...` URI."""
    return isinstance(text, str) and DATASTORE_URI.match(text.strip()) is not None


def ensure_built_in_datastores() -> None:
    """Create `workspaceblobstore` and `workspaceartifactstore` if they are missing (the migration
    makes them; a database flushed since has them back on first use)."""
    for name in BUILT_IN_DATASTORES:
        if Datastore.objects.filter(name=name).exists():
            continue
        description = BUILT_IN_DESCRIPTIONS[name]
        try:
            with transaction.atomic():
                Datastore.objects.create(
                    name=name,
                    description=description,
                    built_in=True,
                    spec={"name": name, "type": "azure_blob", "description": description},
                )
        except IntegrityError:
            continue  # made at the same moment elsewhere


def get_datastore(name: str) -> Datastore:
    """The datastore called `name`, or UnknownDatastoreError listing the registered ones."""
    datastore = Datastore.objects.filter(name=name).first()
    if datastore is None and name in BUILT_IN_DATASTORES:
        ensure_built_in_datastores()
        datastore = Datastore.objects.filter(name=name).first()
    if datastore is None:
        known = ", ".join(Datastore.objects.order_by("name").values_list("name", flat=True)) or "none"
        raise UnknownDatastoreError(
            f"no datastore named {name!r} is registered (registered: {known}); "
            "register one with `studio datastore create --file datastore.yml`"
        )
    return datastore


def prepare_folder(datastore: Datastore) -> Path:
    """The datastore's folder, created (private to the server's user) when it is its own."""
    folder = datastore.folder()
    if datastore.uses_own_folder:
        root = datastores_root()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.mkdir(exist_ok=True, mode=0o700)
    elif not folder.is_dir():
        raise DatastoreError(f"datastore {datastore.name!r}: its server folder {folder} does not exist")
    return folder.resolve()


def datastore_folder(name: str) -> Path:
    """The resolved server folder of the datastore `name`; UnknownDatastoreError if there is none."""
    return prepare_folder(get_datastore(name))


def check_server_folder(text: str) -> str | None:
    """Why `text` cannot be a datastore's server folder, or None: it must be an existing absolute
    folder under one of STUDIO_DATA_ROOTS."""
    candidate = Path(text)
    if not candidate.is_absolute():
        return f"{text!r} is not an absolute path; give the folder's full path on the server"
    roots = [Path(root).resolve() for root in settings.STUDIO_DATA_ROOTS]
    resolved = candidate.resolve()
    if not any(resolved == root or root in resolved.parents for root in roots):
        where = f" ({', '.join(map(str, roots))})" if roots else ", which is not set"
        return f"server folders must lie under STUDIO_DATA_ROOTS{where}"
    if not resolved.is_dir():
        return f"{text!r} is not a folder on the server"
    return None


def relative_datastore_path(text: str) -> PurePosixPath:
    """The relative path after `paths/`, refusing absolute paths and `..`."""
    if "\x00" in text or "\\" in text:
        raise DatastoreError(f"{text!r} is not a valid path inside a datastore")
    if text.startswith("/"):
        raise DatastoreError(f"{text!r} is an absolute path; a datastore path is relative to its folder")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise DatastoreError(f"{text!r} leaves the datastore's folder ('..' is not allowed)")
    return PurePosixPath(*parts) if parts else PurePosixPath()


def datastore_uri_path(uri: str) -> tuple[str, Path]:
    """`azureml://datastores/<name>/paths/<p>` as (datastore name, absolute server path).

    The path need not exist yet (an output); whatever of it exists may not lead out of the
    datastore's folder through a symbolic link.
    """
    match = DATASTORE_URI.match(uri.strip())
    if match is None:
        raise DatastoreError(f"{uri!r} is not a datastore URI; use azureml://datastores/<name>/paths/<path>")
    name = match["name"]
    relative = relative_datastore_path(match["path"] or "")
    folder = datastore_folder(name)
    target = folder.joinpath(*relative.parts) if relative.parts else folder
    real = Path(os.path.realpath(target))
    if real != folder and folder not in real.parents:
        raise DatastoreError(f"{uri!r} leads out of datastore {name!r} through a symbolic link")
    return name, target
