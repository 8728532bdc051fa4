"""Pages of model assets: the list (one row per name) and a version's detail with its files."""

from __future__ import annotations

from django.shortcuts import render

from studio.models import ModelAsset
from studio.views.assets import AssetKind, _asset_context, _asset_list, _files, _find, _missing

MODELS = AssetKind(
    ModelAsset,
    "Models",
    "model",
    "model",
    "studio:models",
    "studio:model",
    "studio:model-version",
    "studio-api:model-export",
)
MAX_FILES_SHOWN = 500


def models(request):
    """Browse models."""
    return _asset_list(request, MODELS)


def model_detail(request, name: str, version: str | None = None):
    """A model version: type, stage, files, properties and the fields that have no effect here."""
    model = _find(MODELS, name, version)
    if model is None:
        return _missing(request, MODELS, name, version)
    files, files_error = _files(model.snapshot_digest)
    return render(
        request,
        "studio/model_detail.html",
        {
            **_asset_context(MODELS, model),
            "files": files[:MAX_FILES_SHOWN],
            "more_files": max(0, len(files) - MAX_FILES_SHOWN),
            "files_error": files_error,
            "properties": sorted((model.spec.get("properties") or {}).items()),
            "flavors": model.spec.get("flavors") or {},
        },
    )
