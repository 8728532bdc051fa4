"""Who serves what: the workers that announce themselves, and the host a `local` compute belongs to.

A worker writes its row when it starts and renews `heartbeat_at` every few seconds; a row whose
heartbeat is older than STUDIO_HEARTBEAT_TIMEOUT_SECONDS is no longer live (the worker died) and
is deleted later by any live worker. A `local` compute runs processes on one machine: the first
worker that serves it records its host, and only workers on that host serve it afterwards.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from studio.models import Compute


class WorkerPresence(models.Model):
    """One running `studio worker` (or the worker threads of `studio up`)."""

    worker_id = models.CharField(max_length=100, unique=True, help_text="host:pid, as on the steps it runs")
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    computes = models.JSONField(default=list, help_text="Names of the computes whose steps it takes")
    serves_all = models.BooleanField(default=False, help_text="Takes the steps of every compute")
    threads = models.PositiveIntegerField(help_text="Step threads")
    version = models.CharField(max_length=40)
    stopping = models.BooleanField(default=False, help_text="Finishing or handing back its steps")
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["host", "pid"]

    def __str__(self) -> str:
        return self.worker_id


class LocalComputeHost(models.Model):
    """The machine a `local` compute's processes run on."""

    compute = models.OneToOneField(Compute, on_delete=models.CASCADE, related_name="local_host")
    host = models.CharField(max_length=255)
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.compute_id}@{self.host}"
