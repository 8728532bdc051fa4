"""Registering and exporting datastores: not versioned, a name is updated in place (as in Azure ML)."""

from __future__ import annotations

from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from studio.datastores import check_server_folder, prepare_folder
from studio.errors import Problem
from studio.models import Datastore
from studio.models.datastores import BUILT_IN_DATASTORES, datastores_root
from studio.schemas.common import raise_problems, validate_document
from studio.schemas.datastore import DatastoreDocument, datastore_problems, datastore_warnings
from studio.schemas.loading import LineIndex, format_path

DATASTORE_SCHEMAS = {
    "azure_blob": "https://azuremlschemas.azureedge.net/latest/azureBlob.schema.json",
    "azure_file": "https://azuremlschemas.azureedge.net/latest/azureFile.schema.json",
    "azure_data_lake_gen1": "https://azuremlschemas.azureedge.net/latest/azureDataLakeGen1.schema.json",
    "azure_data_lake_gen2": "https://azuremlschemas.azureedge.net/latest/azureDataLakeGen2.schema.json",
}


def register_datastore(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    attachments=None,
    user=None,
    plan=None,
) -> tuple[Datastore, bool]:
    """Create the datastore or update the one with its name; returns (datastore, created).

    The datastore's `warnings` list the fields that have no effect here (each with file and
    line, as `Problem`s, on `datastore.registration_warnings`). Credentials are never kept.
    """
    datastore = validate_document(DatastoreDocument, document, index=index, filename=filename)
    problems = datastore_problems(datastore)
    if datastore.name in BUILT_IN_DATASTORES and datastore.server_folder:
        problems.append(
            (("server_folder",), f"{datastore.name} is built in: its files stay under STUDIO_HOME/datastores")
        )
    if datastore.server_folder and not problems:
        folder_problem = check_server_folder(datastore.server_folder)
        if folder_problem:
            problems.append((("server_folder",), folder_problem))
    raise_problems(problems, index=index, filename=filename)
    folder = datastore.server_folder or str(datastores_root() / datastore.name)
    warnings = [
        Problem(filename, format_path(path), message, index.line_of(path))
        for path, message in datastore_warnings(datastore, folder=folder)
    ]
    spec: dict[str, Any] = {"name": datastore.name, "type": datastore.type}
    if datastore.description:
        spec["description"] = datastore.description
    if datastore.tags:
        spec["tags"] = dict(datastore.tags)
    spec.update(datastore.azure_fields())
    if datastore.server_folder:
        spec["server_folder"] = datastore.server_folder
    fields = {
        "datastore_type": datastore.type,
        "description": datastore.description or "",
        "tags": dict(datastore.tags),
        "server_folder": datastore.server_folder or "",
        "spec": spec,
        "warnings": [{"field": problem.field, "message": problem.message} for problem in warnings],
        "updated_at": timezone.now(),
    }
    if plan is not None:
        raise_problems(
            [((), "a datastore cannot be part of a registration plan")], index=index, filename=filename
        )
    with transaction.atomic():
        current = Datastore.objects.select_for_update().filter(name=datastore.name).first()
        if current is None:
            created_by = user if getattr(user, "is_authenticated", False) else None
            record, created = Datastore.objects.get_or_create(
                name=datastore.name, defaults={**fields, "created_by": created_by}
            )
            if not created:
                current = record
        if current is not None:
            for key, value in fields.items():
                setattr(current, key, value)
            current.save()
            record, created = current, False
    prepare_folder(record)
    record.registration_warnings = warnings
    return record, created


def export_datastore(datastore: Datastore) -> str:
    """The datastore as Azure ML YAML that registers back to the same datastore."""
    spec = datastore.spec or {"name": datastore.name, "type": datastore.datastore_type}
    document = {"$schema": DATASTORE_SCHEMAS.get(spec.get("type", ""), DATASTORE_SCHEMAS["azure_blob"])}
    document.update(spec)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
