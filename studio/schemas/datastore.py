"""The Azure ML v2 datastore schema (`azure_blob`, `azure_file`, `azure_data_lake_gen1|gen2`).

A datastore here is a folder on the server. The fields that address Azure storage are read and
kept (so the YAML moves in unchanged and exports back) but have no effect: they come back as
warnings. `credentials` are never stored. `server_folder` is Studio's own field: an existing
server folder under STUDIO_DATA_ROOTS to use instead of STUDIO_HOME/datastores/<name>/.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from studio.schemas.common import ASSET_NAME, StrictModel, Tags, check_name

DATASTORE_TYPES = ("azure_blob", "azure_file", "azure_data_lake_gen1", "azure_data_lake_gen2")

# The storage-addressing fields of each type: kept, reported as having no effect.
AZURE_FIELDS = {
    "azure_blob": ("account_name", "container_name", "endpoint", "protocol"),
    "azure_file": ("account_name", "file_share_name", "endpoint", "protocol"),
    "azure_data_lake_gen1": ("store_name",),
    "azure_data_lake_gen2": ("account_name", "filesystem", "endpoint", "protocol"),
}
ALL_AZURE_FIELDS = tuple(dict.fromkeys(field for fields in AZURE_FIELDS.values() for field in fields))


class DatastoreDocument(StrictModel):
    """An Azure ML v2 datastore, plus Studio's `server_folder`."""

    schema_: str | None = Field(default=None, alias="$schema")
    name: str
    type: str = "azure_blob"
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    account_name: str | None = None
    container_name: str | None = None
    file_share_name: str | None = None
    filesystem: str | None = None
    store_name: str | None = None
    endpoint: str | None = None
    protocol: str | None = None
    credentials: dict[str, Any] | None = None
    server_folder: str | None = None

    def azure_fields(self) -> dict[str, str]:
        """The storage-addressing fields the document gives, in schema order."""
        return {
            field: getattr(self, field)
            for field in AZURE_FIELDS.get(self.type, ())
            if getattr(self, field) is not None
        }


def datastore_problems(datastore: DatastoreDocument) -> list[tuple[tuple, str]]:
    """Everything wrong with a datastore beyond the field types."""
    problems: list[tuple[tuple, str]] = []
    name_problem = check_name(datastore.name, pattern=ASSET_NAME, what="datastore")
    if name_problem:
        problems.append((("name",), name_problem))
    if datastore.type not in DATASTORE_TYPES:
        problems.append((("type",), f"must be one of {', '.join(DATASTORE_TYPES)}, got {datastore.type!r}"))
        return problems
    allowed = AZURE_FIELDS[datastore.type]
    for field in ALL_AZURE_FIELDS:
        if field not in allowed and getattr(datastore, field) is not None:
            problems.append(((field,), f"is not a field of an {datastore.type} datastore"))
    if datastore.server_folder is not None and not datastore.server_folder.strip():
        problems.append((("server_folder",), "is empty; leave it out to use STUDIO_HOME/datastores/<name>"))
    return problems


def datastore_warnings(datastore: DatastoreDocument, *, folder: str) -> list[tuple[tuple, str]]:
    """The fields Studio reads but that change nothing here, each with why."""
    warnings: list[tuple[tuple, str]] = [
        ((field,), f"has no effect here: Studio keeps this datastore's files under {folder}")
        for field in datastore.azure_fields()
    ]
    if datastore.credentials is not None:
        warnings.append(
            (
                ("credentials",),
                "is not stored: Studio reads this datastore's files from a server folder and keeps no "
                "cloud secrets",
            )
        )
    return warnings
