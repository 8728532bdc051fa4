"""Status and kind constants shared by the studio app."""

from __future__ import annotations

from django.db import models


class ComputeKind(models.TextChoices):
    """Where a compute runs steps."""

    LOCAL = "local", "Local processes"
    DOCKER = "docker", "Docker engine"


class ComputeState(models.TextChoices):
    """The health of a compute as last checked."""

    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
    DRAINING = "draining", "Draining"
    UNKNOWN = "unknown", "Not checked yet"


SCHEDULABLE_COMPUTE_STATES = (ComputeState.ONLINE,)
