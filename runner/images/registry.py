"""The image registry (STUDIO_REGISTRY): one build per environment, pushed, pulled by every other engine.

As Azure ML keeps environment images in its workspace registry: with a registry set, the build
of an environment is claimed once for the registry (its `EnvironmentImage` row's target is
`registry://HOST[:PORT]`), not once per engine. The engine that wins the claim builds the image
and pushes it; the steps of every other engine wait for that build if it is running, then pull
the image and tag it with the same local tag. Engines talk to the registry themselves: a registry
other than on loopback must be in their `insecure-registries` unless it serves HTTPS.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from runner.executors.docker import (
    APIError,
    DockerUnavailable,
    image_exists,
    pull_image,
    push_image,
    registry_has,
)
from runner.images.errors import EngineUnreachable, ImageBuildError

TARGET_PREFIX = "registry://"


def registry() -> str:
    """The registry's host[:port][/path], or '' when none is set."""
    return settings.STUDIO_REGISTRY


def registry_target(name: str) -> str:
    """The `EnvironmentImage.target` of builds shared through the registry `name`."""
    return f"{TARGET_PREFIX}{name}"


def registry_reference(tag: str, name: str) -> str:
    """`studio/env-x:hash` as it is named in the registry: `name/studio/env-x:hash`."""
    return f"{name}/{tag}"


def in_registry(reference: str, *, base_url: str | None) -> bool:
    """Whether the registry holds `reference` (asked through the engine at `base_url`)."""
    try:
        return registry_has(reference, base_url=base_url)
    except DockerUnavailable as exc:
        raise EngineUnreachable(str(exc)) from exc


def push(tag: str, reference: str, *, base_url: str | None, log: Callable[[str], None]) -> None:
    """Push a fresh build to the registry; a refused push fails the build, naming the registry."""
    log(f"studio: pushing {reference} to the registry STUDIO_REGISTRY={registry()}")
    try:
        push_image(tag, reference, base_url=base_url)
    except APIError as exc:
        raise ImageBuildError(
            f"built {tag}, but the registry STUDIO_REGISTRY={registry()} refused it: {exc.args[0]}"
        ) from exc
    except DockerUnavailable as exc:
        raise EngineUnreachable(str(exc)) from exc


def pull(reference: str, tag: str, *, base_url: str | None, log: Callable[[str], None]) -> None:
    """Pull the registry's image onto the engine at `base_url` as `tag`, instead of building it."""
    log(f"studio: pulling {reference} from the registry instead of building it")
    try:
        pull_image(reference, tag, base_url=base_url)
    except APIError as exc:
        raise ImageBuildError(
            f"cannot pull {reference} from the registry STUDIO_REGISTRY={registry()}: {exc.args[0]}"
        ) from exc
    except DockerUnavailable as exc:
        raise EngineUnreachable(str(exc)) from exc
    if not image_exists(tag, base_url=base_url):
        raise ImageBuildError(f"pulled {reference}, but {tag} is not on the engine")
