"""Uploading files and folders the CLI sends with a job (local data paths)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from studio.errors import StudioError
from studio.storage.archives import snapshot_archive
from studio.storage.layout import StorageError
from studio.storage.snapshotting import snapshot_file


@extend_schema(
    request={
        "multipart/form-data": {
            "type": "object",
            "properties": {
                "file": {"type": "string", "format": "binary"},
                "kind": {"type": "string", "enum": ["file", "folder"]},
            },
        }
    },
    responses={201: {"type": "object"}},
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
def upload_snapshot(request):
    """Store an uploaded file (`kind=file`) or folder archive (`kind=folder`) as a snapshot."""
    upload = request.FILES.get("file")
    kind = request.data.get("kind", "folder")
    if upload is None or kind not in ("file", "folder"):
        return Response(
            {
                "detail": "send the multipart part `file` and kind=file|folder",
                "errors": {"file": ["is required"]},
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    try:
        if kind == "folder":
            snapshot = snapshot_archive(upload)
        else:
            with tempfile.TemporaryDirectory() as scratch:
                target = Path(scratch) / Path(upload.name).name
                with target.open("wb") as handle:
                    for chunk in upload.chunks():
                        handle.write(chunk)
                snapshot = snapshot_file(target)
    except StorageError as error:  # a 400 on the part `file`, whatever the storage error's own status
        raise StudioError(str(error), field="file") from error
    return Response(
        {
            "digest": snapshot.digest,
            "reference": f"studio://snapshots/{snapshot.digest}",
            "size_bytes": snapshot.size_bytes,
            "file_count": snapshot.file_count,
        },
        status=status.HTTP_201_CREATED,
    )
