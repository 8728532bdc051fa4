"""The Azure ML v2 data asset schema (`uri_file` / `uri_folder`)."""

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

DATA_TYPES = ("uri_file", "uri_folder")
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
    """`url`, `snapshot` or `local` for a data path."""
    if path.startswith(("http://", "https://")):
        return "url"
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
    if data.type == "mltable":
        problems.append(
            (("type",), "mltable data assets are not supported; register the folder as uri_folder")
        )
    elif data.type not in DATA_TYPES:
        problems.append((("type",), f"must be uri_file or uri_folder, got {data.type!r}"))
    if not data.path.strip():
        problems.append((("path",), "is empty"))
    elif REMOTE_STORAGE.match(data.path):
        problems.append(
            (
                ("path",),
                "cloud datastores are not reachable from Studio; "
                "download the data and register the local path",
            )
        )
    return problems
