"""Content hashing and version assignment shared by every asset type."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from django.db import IntegrityError, transaction

from studio.schemas.loading import DefinitionError


class Planner(Protocol):
    """What registers versions later instead of now (studio.registry.plan.RegistrationPlan)."""

    def version(
        self,
        model,
        *,
        name: str,
        version: str | None,
        spec: dict[str, Any],
        filename: str,
        fields: dict,
        user,
    ) -> tuple[Any, bool]: ...


def canonical_json(value: Any) -> str:
    """One spelling of a value: sorted keys, no spaces, so equal content hashes equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(spec: dict[str, Any]) -> str:
    """The sha256 of a normalised definition."""
    return hashlib.sha256(canonical_json(spec).encode()).hexdigest()


def next_version(model, name: str, *, also_taken: tuple[int, ...] | list[int] = ()) -> str:
    """One more than the highest whole-number version of `name` (Azure's auto-versioning)."""
    numbers = [
        int(v) for v in model.objects.filter(name=name).values_list("version", flat=True) if v.isdigit()
    ]
    return str(max([*numbers, *also_taken], default=0) + 1)


def conflict(filename: str, name: str, version: str) -> DefinitionError:
    return DefinitionError.single(
        filename,
        "version",
        f"{name}:{version} is already registered with different content; versions are "
        "immutable, so omit `version` to get the next one or choose a new version",
    )


def existing_version(model, *, name: str, version: str | None, digest: str, filename: str):
    """The registered version a definition with this content is: without a version, the newest
    with that content; with one, name:version (a conflict when it holds other content). None when
    there is none yet."""
    if version is None:
        return model.objects.filter(name=name, content_hash=digest).order_by("-created_at").first()
    current = model.objects.filter(name=name, version=version).first()
    if current is not None and current.content_hash != digest:
        raise conflict(filename, name, version)
    return current


def register_version(
    model,
    *,
    name: str,
    version: str | None,
    spec: dict[str, Any],
    filename: str,
    fields: dict[str, Any],
    user=None,
    plan: Planner | None = None,
) -> tuple[Any, bool]:
    """Find the version with this content, or create it; refuse to change an existing version.

    Returns (asset, created). Without a version, an identical definition returns the newest
    version with that content and a new one gets the next number. With a `plan`, nothing is
    written: see studio.registry.plan.
    """
    if plan is not None:
        return plan.version(
            model, name=name, version=version, spec=spec, filename=filename, fields=fields, user=user
        )
    digest = content_hash(spec)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                same = existing_version(model, name=name, version=version, digest=digest, filename=filename)
                if same is not None:
                    return same, False
                chosen = version if version is not None else next_version(model, name)
                asset = model.objects.create(
                    name=name,
                    version=chosen,
                    spec=spec,
                    content_hash=digest,
                    description=spec.get("description") or "",
                    tags=spec.get("tags") or {},
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                    **fields,
                )
                return asset, True
        except IntegrityError:
            # Someone registered the same name and version at the same moment: look again.
            if version is not None and not model.objects.filter(name=name, version=version).exists():
                raise
            continue
    raise DefinitionError.single(filename, "version", "could not assign a version; try again")
