"""The errors of building an environment: the engine is unreachable, or the build failed."""

from __future__ import annotations

from studio.errors import StudioError


class EngineUnreachable(StudioError):
    """Raised when the Docker engine an image is needed on does not answer (worth retrying)."""

    status = 503


class ImageBuildError(StudioError):
    """An environment's image or virtualenv could not be built (or the build we waited for failed).

    The message is the build's error, meant for the step's status reason and the build log.
    """

    status = 422  # the environment's definition did not build
