"""Registering and exporting data assets (uri_file, uri_folder, mltable)."""

from __future__ import annotations

from typing import Any

import yaml

from studio.models import DataAsset
from studio.net import url_problem
from studio.registry.attachments import Attachments
from studio.registry.plan import RegistrationPlan
from studio.registry.stored_paths import store_path, top_level_file
from studio.registry.versions import register_version
from studio.schemas.common import raise_problems, validate_document
from studio.schemas.data import MLTABLE_FILE, DataDocument, data_problems, path_kind
from studio.schemas.loading import LineIndex
from studio.storage.reading import snapshot_files

DATA_SCHEMA = "https://azuremlschemas.azureedge.net/latest/data.schema.json"


def register_data(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    attachments: Attachments,
    user=None,
    plan: RegistrationPlan | None = None,
) -> tuple[DataAsset, bool]:
    """Register a data asset: local data is stored, an http(s) URL is kept as a reference."""
    data = validate_document(DataDocument, document, index=index, filename=filename)
    raise_problems(data_problems(data), index=index, filename=filename)
    fields: dict[str, Any] = {"data_type": data.type}
    if path_kind(data.path) == "url":
        problem = url_problem(data.path)
        if problem is not None:
            raise_problems([(("path",), problem)], index=index, filename=filename)
        source = {"url": data.path}
        fields["url"] = data.path
    else:
        shape = "file" if data.type == "uri_file" else "folder"
        snapshot = store_path(data.path, shape=shape, attachments=attachments, filename=filename)
        files = snapshot_files(snapshot.digest)
        if data.type == "uri_file" and (len(files) != 1 or "/" in files[0][0]):
            raise_problems(
                [(("path",), "a uri_file asset needs a single file")], index=index, filename=filename
            )
        if data.type == "mltable" and not top_level_file(files, MLTABLE_FILE):
            raise_problems(
                [
                    (
                        ("path",),
                        f"{data.path!r} has no {MLTABLE_FILE} file at its top; an mltable data asset is "
                        f"a folder with an {MLTABLE_FILE} file describing its table",
                    )
                ],
                index=index,
                filename=filename,
            )
        source = {"snapshot": snapshot.digest}
        fields.update(
            snapshot_digest=snapshot.digest, size_bytes=snapshot.size_bytes, file_count=snapshot.file_count
        )
    spec = {
        "name": data.name,
        "description": data.description or "",
        "tags": dict(data.tags),
        "type": data.type,
        "source": source,
    }
    return register_version(
        DataAsset,
        name=data.name,
        version=data.version,
        spec=spec,
        filename=filename,
        fields=fields,
        user=user,
        plan=plan,
    )


def export_data(asset: DataAsset) -> str:
    """The data asset as YAML that registers back to the same content hash."""
    spec = asset.spec
    document: dict[str, Any] = {
        "$schema": DATA_SCHEMA,
        "type": spec["type"],
        "name": spec["name"],
        "version": asset.version,
    }
    if spec.get("description"):
        document["description"] = spec["description"]
    if spec.get("tags"):
        document["tags"] = spec["tags"]
    source = spec["source"]
    document["path"] = source["url"] if "url" in source else f"studio://snapshots/{source['snapshot']}"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
