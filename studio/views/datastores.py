"""Pages of datastores: the list and one datastore with its folder, kept Azure fields and files."""

from __future__ import annotations

import os

from django.shortcuts import render
from django.urls import reverse

from studio.datastores import DatastoreError, ensure_built_in_datastores, prepare_folder
from studio.models import Datastore
from studio.registry import export_asset
from studio.schemas.datastore import ALL_AZURE_FIELDS
from studio.views.assets import not_found

MAX_ENTRIES_SHOWN = 200


def datastores(request):
    """Every datastore, the default first."""
    ensure_built_in_datastores()
    rows = sorted(
        Datastore.objects.select_related("created_by"), key=lambda store: (not store.is_default, store.name)
    )
    return render(request, "studio/datastore_list.html", {"datastores": rows})


def _entries(datastore: Datastore) -> tuple[list[dict], int, str]:
    """The top of the datastore's folder: (entries, how many more, why it cannot be read)."""
    try:
        folder = prepare_folder(datastore)
        with os.scandir(folder) as scan:
            found = sorted(scan, key=lambda entry: entry.name)
    except (DatastoreError, OSError) as error:
        return [], 0, str(error)
    entries = []
    for entry in found[:MAX_ENTRIES_SHOWN]:
        is_folder = entry.is_dir(follow_symlinks=False)
        size = None if is_folder else entry.stat(follow_symlinks=False).st_size
        entries.append({"name": entry.name, "folder": is_folder, "size": size})
    return entries, max(0, len(found) - MAX_ENTRIES_SHOWN), ""


def datastore_detail(request, name: str):
    """One datastore: where its files are, how YAML names them, and what has no effect here."""
    ensure_built_in_datastores()
    datastore = Datastore.objects.select_related("created_by").filter(name=name).first()
    if datastore is None:
        return not_found(
            request,
            f"There is no datastore {name}.",
            back_url=reverse("studio:datastores"),
            back_label="All datastores",
        )
    entries, more, entries_error = _entries(datastore)
    spec = datastore.spec or {}
    return render(
        request,
        "studio/datastore_detail.html",
        {
            "datastore": datastore,
            "azure_fields": [(field, spec[field]) for field in ALL_AZURE_FIELDS if field in spec],
            "entries": entries,
            "more_entries": more,
            "entries_error": entries_error,
            "exported": export_asset(datastore),
            "export_url": reverse("studio-api:datastore-export", kwargs={"name": datastore.name}),
        },
    )
