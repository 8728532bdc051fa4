"""Registrations decided now and written later: the two phases of compiling a pipeline.

Resolving a pipeline (pipelines.compiler) must not write: a job refused after its document was
checked (a taken name, a full queue, a refused parameter) would leave components and
environments behind. While resolving, the registry verbs take a `RegistrationPlan`: each one
still reads (an identical version is reused, a version registered with other content is a
problem now, a new one gets its number now), but instead of creating the row it returns an
unsaved instance and remembers it. `apply()` writes them all, in the order they were planned
(an environment before the component that uses it), inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from studio.errors import Problem
from studio.registry.versions import conflict, content_hash, existing_version, next_version, register_version


@dataclass
class PlannedVersion:
    """One asset version to create: its model, identity, content and the unsaved instance that
    stands for it until `apply()` saves it."""

    model: Any
    name: str
    version: str
    spec: dict[str, Any]
    content_hash: str
    filename: str
    fields: dict[str, Any]
    user: Any
    instance: Any

    def describe(self) -> str:
        return f"{self.model._meta.verbose_name} {self.name}:{self.version}"


@dataclass
class RegistrationPlan:
    """The asset versions a compile needs that do not exist yet."""

    pending: list[PlannedVersion] = field(default_factory=list)
    applied: bool = False
    # Fields of the definitions registered through this plan that Azure ML accepts and that have
    # no effect here, each naming its file (a component file, a conda file), line and field; once
    # each. A definition inline in a job names the job's file, its field relative to the definition.
    warnings: list[Problem] = field(default_factory=list)

    def warn(self, warnings: list[Problem]) -> None:
        """Record warnings of a definition registered through this plan (each once)."""
        self.warnings.extend(warning for warning in dict.fromkeys(warnings) if warning not in self.warnings)

    def find(self, model, name: str, *, version: str | None = None, content_hash: str | None = None):
        """A version this plan already holds: by name and version, or by name and content."""
        for planned in self.pending:
            if planned.model is not model or planned.name != name:
                continue
            if version is not None and planned.version == version:
                return planned
            if content_hash is not None and planned.content_hash == content_hash:
                return planned
        return None

    def taken_numbers(self, model, name: str) -> list[int]:
        """Whole-number versions of `name` this plan will create (so two new ones differ)."""
        return [
            int(p.version)
            for p in self.pending
            if p.model is model and p.name == name and p.version.isdigit()
        ]

    def add(self, model, *, name, version, spec, content_hash, filename, fields, user) -> Any:
        """Remember a version to create and return its unsaved instance."""
        instance = model(
            name=name,
            version=version,
            spec=spec,
            content_hash=content_hash,
            description=spec.get("description") or "",
            tags=spec.get("tags") or {},
            created_by=user if getattr(user, "is_authenticated", False) else None,
            **fields,
        )
        self.pending.append(
            PlannedVersion(model, name, version, spec, content_hash, filename, fields, user, instance)
        )
        return instance

    def version(
        self,
        model,
        *,
        name: str,
        version: str | None,
        spec: dict[str, Any],
        filename: str,
        fields: dict[str, Any],
        user=None,
    ) -> tuple[Any, bool]:
        """What `register_version` would return, without writing: the existing version with this
        content, or an unsaved one the plan creates later (its version number chosen now)."""
        digest = content_hash(spec)
        same = existing_version(model, name=name, version=version, digest=digest, filename=filename)
        if same is not None:
            return same, False
        if version is None:
            planned = self.find(model, name, content_hash=digest)
            if planned is not None:
                return planned.instance, False
            chosen = next_version(model, name, also_taken=self.taken_numbers(model, name))
        else:
            chosen = version
            planned = self.find(model, name, version=version)
            if planned is not None:
                if planned.content_hash == digest:
                    return planned.instance, False
                raise conflict(filename, name, version)
        instance = self.add(
            model,
            name=name,
            version=chosen,
            spec=spec,
            content_hash=digest,
            filename=filename,
            fields=fields,
            user=user,
        )
        return instance, True

    def describe(self) -> list[str]:
        """What `apply()` will create, one line each ("component hello:1")."""
        return [planned.describe() for planned in self.pending]

    def apply(self) -> None:
        """Create every planned version, in order, in one transaction. Each unsaved instance the
        compile handed out becomes the saved row (same object, now with its primary key), so the
        spec pins what was written. Someone who registered the same name and version meanwhile
        with other content makes the whole plan fail (DefinitionError), writing nothing."""
        if self.applied:
            return
        with transaction.atomic():
            for planned in self.pending:
                asset, _ = register_version(
                    planned.model,
                    name=planned.name,
                    version=planned.version,
                    spec=planned.spec,
                    filename=planned.filename,
                    fields=planned.fields,
                    user=planned.user,
                )
                for model_field in planned.model._meta.concrete_fields:
                    setattr(planned.instance, model_field.attname, getattr(asset, model_field.attname))
                planned.instance._state.adding = False
                planned.instance._state.db = asset._state.db
        self.applied = True
