"""Registering and exporting environments (v2 YAML or the v1 JSON form)."""

from __future__ import annotations

from typing import Any

import yaml

from studio.errors import Problem
from studio.models import Environment
from studio.registry.attachments import Attachments
from studio.registry.plan import RegistrationPlan
from studio.registry.versions import register_version
from studio.schemas.common import SNAPSHOT_REFERENCE, raise_problems, validate_document
from studio.schemas.environment import (
    EnvironmentDocument,
    V1EnvironmentDocument,
    conda_channels_warning,
    conda_problems,
    environment_problems,
    environment_warnings,
    is_v1_document,
    v1_environment_problems,
)
from studio.schemas.loading import LineIndex, format_path, load_document

ENVIRONMENT_SCHEMA = "https://azuremlschemas.azureedge.net/latest/environment.schema.json"
ANONYMOUS_NAME = "CliV2AnonymousEnvironment"

V1_DEFAULTS = {
    "variables": {},
    "docker_enabled": True,
    "user_managed_dependencies": False,
    "interpreter_path": "python",
    "dockerfile": None,
    "shm_size": None,
}


def _conda_from_file(attachments: Attachments, path: str, warnings: list[Problem]) -> dict:
    text = attachments.text("conda_file", path)
    conda, conda_index = load_document(text, filename=path)
    problems = conda_problems(conda, ())
    raise_problems(problems, index=conda_index, filename=path)
    message = conda_channels_warning(conda)
    if message:  # located in the conda file itself, by its full path when read from disk
        name = attachments.name_of("conda_file", path)
        warnings.append(Problem(name, "channels", message, conda_index.line_of(("channels",))))
    return conda


def environment_spec(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    attachments: Attachments,
    prefix: tuple = (),
    warnings: list[Problem] | None = None,
) -> dict[str, Any]:
    """Validate an environment definition and return its normalised spec; the fields Azure ML
    accepts that have no effect here are added to `warnings`, each with its file, field and line."""
    warnings = [] if warnings is None else warnings
    if is_v1_document(document):
        v1 = validate_document(V1EnvironmentDocument, document, index=index, filename=filename, prefix=prefix)
        raise_problems(v1_environment_problems(v1), index=index, filename=filename, prefix=prefix)
        docker_enabled = v1.docker.enabled
        return {
            "name": v1.name,
            "description": v1.description or "",
            "tags": dict(v1.tags),
            "image": v1.docker.baseImage,
            "build": None,
            "conda": v1.python.condaDependencies,
            "variables": dict(v1.environmentVariables),
            "docker_enabled": docker_enabled,
            "user_managed_dependencies": v1.python.userManagedDependencies,
            "interpreter_path": v1.python.interpreterPath,
            "dockerfile": v1.docker.baseDockerfile,
            "shm_size": v1.docker.shmSize,
        }
    env = validate_document(EnvironmentDocument, document, index=index, filename=filename, prefix=prefix)
    raise_problems(environment_problems(env), index=index, filename=filename, prefix=prefix)
    warnings.extend(
        Problem(filename, format_path((*prefix, *path)), message, index.line_of((*prefix, *path)))
        for path, message in environment_warnings(env)
    )
    build = None
    if env.build is not None:
        reference = SNAPSHOT_REFERENCE.match(env.build.path)
        if reference:
            from studio.storage.layout import snapshot_exists

            if not snapshot_exists(reference["digest"]):
                raise_problems(
                    [(("build", "path"), "no stored build context has this digest")],
                    index=index,
                    filename=filename,
                    prefix=prefix,
                )
            digest = reference["digest"]
        else:
            digest = attachments.folder("build", env.build.path).digest
        build = {"context": digest, "dockerfile_path": env.build.dockerfile_path}
    conda = env.conda_file
    if isinstance(conda, str):
        conda = _conda_from_file(attachments, conda, warnings)
    return {
        "name": env.name,
        "description": env.description or "",
        "tags": dict(env.tags),
        "image": env.image,
        "build": build,
        "conda": conda,
        **V1_DEFAULTS,
    }


def register_environment(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    attachments: Attachments,
    user=None,
    plan: RegistrationPlan | None = None,
) -> tuple[Environment, bool]:
    """Register an environment definition; an identical one returns the existing version. The
    fields that have no effect here are on `environment.registration_warnings` (and the plan's)."""
    warnings: list[Problem] = []
    spec = environment_spec(
        document, index=index, filename=filename, attachments=attachments, warnings=warnings
    )
    version = document.get("version")
    environment, created = register_version(
        Environment,
        name=spec["name"],
        version=None if version is None else str(version),
        spec=spec,
        filename=filename,
        fields={},
        user=user,
        plan=plan,
    )
    environment.registration_warnings = warnings
    if plan is not None:
        plan.warn(warnings)
    return environment, created


def register_inline_environment(
    document: dict[str, Any],
    *,
    index: LineIndex,
    filename: str,
    attachments: Attachments,
    user=None,
    plan: RegistrationPlan | None = None,
    warnings: list[Problem] | None = None,
) -> Environment:
    """Register a component's inline `environment:` under Azure's anonymous name, versioned by
    content; the fields that have no effect here are added to `warnings` (the component's)."""
    from studio.registry.versions import content_hash

    named = {"name": ANONYMOUS_NAME, **document}
    spec = environment_spec(
        named,
        index=index,
        filename=filename,
        attachments=attachments,
        prefix=("environment",),
        warnings=warnings,
    )
    spec["tags"] = {**spec["tags"], "anonymous": "true"}
    environment, _ = register_version(
        Environment,
        name=spec["name"],
        version=content_hash(spec)[:16],
        spec=spec,
        filename=filename,
        fields={},
        user=user,
        plan=plan,
    )
    return environment


def needs_v1_form(spec: dict[str, Any]) -> bool:
    """Whether the spec uses v1-only features, so only the v1 JSON form can express it."""
    if spec.get("image") is None and spec.get("build") is None:
        return True
    return any(spec.get(key, default) != default for key, default in V1_DEFAULTS.items())


def export_environment(environment: Environment) -> str:
    """The definition as text that registers back to the same content hash."""
    spec = environment.spec
    if needs_v1_form(spec):
        import json

        v1 = {
            "name": spec["name"],
            "version": environment.version,
            "description": spec.get("description") or None,
            "tags": spec.get("tags") or {},
            "python": {
                "interpreterPath": spec["interpreter_path"],
                "userManagedDependencies": spec["user_managed_dependencies"],
                "condaDependencies": spec.get("conda"),
            },
            "environmentVariables": spec.get("variables") or {},
            "docker": {
                "enabled": spec["docker_enabled"],
                "baseImage": spec.get("image"),
                "baseDockerfile": spec.get("dockerfile"),
                "shmSize": spec.get("shm_size"),
            },
        }
        if v1["description"] is None:
            del v1["description"]
        return json.dumps(v1, indent=2) + "\n"
    document: dict[str, Any] = {
        "$schema": ENVIRONMENT_SCHEMA,
        "name": spec["name"],
        "version": environment.version,
    }
    if spec.get("description"):
        document["description"] = spec["description"]
    if spec.get("tags"):
        document["tags"] = spec["tags"]
    if spec.get("image"):
        document["image"] = spec["image"]
    if spec.get("build"):
        document["build"] = {
            "path": f"studio://snapshots/{spec['build']['context']}",
            "dockerfile_path": spec["build"]["dockerfile_path"],
        }
    if spec.get("conda") is not None:
        document["conda_file"] = spec["conda"]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
