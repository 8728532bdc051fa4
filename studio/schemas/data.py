"""The Azure ML v2 data asset schema: `uri_file`, `uri_folder` and `mltable` (a folder with an MLTable)."""

from __future__ import annotations

import re

from pydantic import Field

from studio.schemas.common import (
    ASSET_NAME,
    SNAPSHOT_REFERENCE,
    StrictModel,
    Tags,
    Version,
    check_name,
    check_version,
)

DATA_TYPES = ("uri_file", "uri_folder", "mltable")
MLTABLE_FILE = "MLTable"
DATASTORE_PATH = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/workspaces/[^/]+/)?datastores/", re.I
)
REMOTE_STORAGE = re.compile(r"^(azureml|wasbs?|abfss?|adl|s3|gs|hdfs)://", re.I)


class DataDocument(StrictModel):
    """An Azure ML v2 data asset."""

    schema_: str | None = Field(default=None, alias="$schema")
    type: str = "uri_folder"
    name: str
    version: Version | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    path: str


def path_kind(path: str) -> str:
    """`url`, `snapshot`, `datastore` or `local` for a data path."""
    if path.startswith(("http://", "https://")):
        return "url"
    if DATASTORE_PATH.match(path):
        return "datastore"
    if SNAPSHOT_REFERENCE.match(path):
        return "snapshot"
    return "local"


def data_problems(data: DataDocument) -> list[tuple[tuple, str]]:
    """Everything wrong with a data asset beyond the field types."""
    problems: list[tuple[tuple, str]] = []
    name_problem = check_name(data.name, pattern=ASSET_NAME, what="data asset")
    if name_problem:
        problems.append((("name",), name_problem))
    version_problem = check_version(data.version)
    if version_problem:
        problems.append((("version",), version_problem))
    if data.type not in DATA_TYPES:
        problems.append((("type",), f"must be uri_file, uri_folder or mltable, got {data.type!r}"))
    if not data.path.strip():
        problems.append((("path",), "is empty"))
    elif data.type == "mltable" and path_kind(data.path) == "url":
        problems.append(
            (("path",), "an mltable data asset is a folder with an MLTable file; a URL cannot be one")
        )
    elif REMOTE_STORAGE.match(data.path) and path_kind(data.path) != "datastore":
        scheme = data.path.split("://", 1)[0].lower()
        problems.append(
            (
                ("path",),
                f"{scheme}:// cloud storage is not reachable from Studio; register a local path, "
                "a datastore path or an https URL",
            )
        )
    return problems
