"""Asset references as YAML writes them, resolved to registered versions.

Accepted forms: `NAME:VERSION`, `NAME@latest`, `azureml:NAME:VERSION`, `azureml:NAME@latest`,
`azureml://registries/<any>/<kind>/NAME/labels/latest` and `…/versions/N`. Registry names are
accepted but not consulted: Studio has one registry, itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from studio.errors import StudioError
from studio.models import Compute, ModelAsset

REGISTRY_FORM = re.compile(
    r"^azureml://registries/[^/]+/(?P<kind>environments|components|data|models)/(?P<name>[^/]+)"
    r"/(?:labels/(?P<label>[^/]+)|versions/(?P<version>[^/]+))/?$"
)
SHORT_FORM = re.compile(
    r"^(?:azureml:)?(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)(?::(?P<version>[^:@/]+)|@(?P<label>[^:@/]+))?$"
)


class ReferenceError(StudioError, ValueError):
    """Raised when a reference is malformed or names nothing registered (400: it is in the request)."""


@dataclass(frozen=True)
class AssetReference:
    """A parsed reference: a name and a version, or None for the latest version."""

    name: str
    version: str | None

    def __str__(self) -> str:
        return f"{self.name}:{self.version}" if self.version else f"{self.name}@latest"


def parse_reference(text: str, *, kind: str) -> AssetReference:
    """Parse a reference to an asset of `kind` (environments, components, data, models)."""
    text = text.strip()
    match = REGISTRY_FORM.match(text)
    if match:
        if match["kind"] != kind:
            raise ReferenceError(f"{text!r} refers to {match['kind']}, expected {kind}")
        label = match["label"]
        if label is not None and label != "latest":
            raise ReferenceError(f"label {label!r} is not supported; use labels/latest or versions/N")
        return AssetReference(match["name"], match["version"])
    match = SHORT_FORM.match(text)
    if match is None:
        raise ReferenceError(
            f"{text!r} is not a reference; use NAME:VERSION, NAME@latest or azureml:NAME:VERSION"
        )
    if match["label"] is not None:
        if match["label"] != "latest":
            raise ReferenceError(f"label {match['label']!r} is not supported; only @latest is")
        return AssetReference(match["name"], None)
    if match["version"] is None:
        raise ReferenceError(f"{text!r} names no version; add :VERSION or @latest")
    return AssetReference(match["name"], match["version"])


def resolve(model, reference: AssetReference):
    """The registered asset a reference names, or ReferenceError saying what is missing."""
    noun = model._meta.verbose_name
    if reference.version is None:
        asset = model.objects.latest_of(reference.name)
        if asset is None:
            raise ReferenceError(
                f"no {noun} named {reference.name!r} is registered (or all its versions are archived)"
            )
        return asset
    asset = model.objects.filter(name=reference.name, version=reference.version).first()
    if asset is None:
        versions = list(model.objects.filter(name=reference.name).values_list("version", flat=True)[:10])
        hint = f"; registered versions: {', '.join(versions)}" if versions else ""
        raise ReferenceError(f"{noun} {reference} is not registered{hint}")
    return asset


def resolve_model(text: str, *, expected_type: str | None = None) -> ModelAsset:
    """The model version `azureml:NAME:VERSION`, `azureml:NAME@latest` or a registry URI names.

    Its files are the snapshot `model.snapshot_digest`; `model.model_type` is custom_model or
    mlflow_model. With `expected_type` (an input's declared type), a model of another type is
    refused, since a step reading an MLflow folder would misread other files.
    """
    model = resolve(ModelAsset, parse_reference(text, kind="models"))
    if expected_type is not None and expected_type != model.model_type:
        raise ReferenceError(
            f"model {model.name}:{model.version} is a {model.model_type}, not a {expected_type}"
        )
    return model


def resolve_compute(text: str) -> Compute:
    """The compute a YAML `compute:` names (`azureml:cpu-cluster`), after STUDIO_COMPUTE_ALIASES."""
    name = text.strip().removeprefix("azureml:")
    name = settings.STUDIO_COMPUTE_ALIASES.get(name, name)
    compute = Compute.objects.filter(name=name).first()
    if compute is None:
        known = ", ".join(Compute.objects.values_list("name", flat=True)) or "none"
        raise ReferenceError(
            f"no compute named {name!r} (registered: {known}; STUDIO_COMPUTE_ALIASES maps names)"
        )
    return compute
