"""Pipeline drafts: the designer's editable graphs, saved with a revision number.

A draft never points at the runner's jobs with a foreign key (the designer may not depend on the
runner); it remembers the name of the last job submitted from it instead.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


def empty_graph() -> dict:
    """The graph of a new draft: nothing on the canvas, default settings."""
    return {
        "nodes": [],
        "edges": [],
        "settings": {
            "default_compute": None,
            "continue_on_step_failure": False,
            "force_rerun": False,
            "experiment_name": "Default",
        },
        "inputs": {},
        "outputs": {},
    }


class PipelineDraftQuerySet(models.QuerySet):
    """Queries of drafts."""

    def alive(self) -> PipelineDraftQuerySet:
        """Drafts that have not been deleted."""
        return self.filter(deleted_at__isnull=True)


class PipelineDraft(models.Model):
    """An editable pipeline graph. Every save goes through a conditional update on `revision`, so a
    stale save is refused (409) instead of silently overwriting someone else's change."""

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    graph = models.JSONField(default=empty_graph, help_text="Nodes, edges, settings, inputs and outputs")
    revision = models.PositiveIntegerField(default=1, help_text="Goes up by one with every saved change")
    # Kept beside the graph, not in it: panning is not an edit, so saving where the canvas looks
    # changes no revision and cannot make another tab's next save conflict.
    viewport = models.JSONField(
        null=True, blank=True, help_text="Where the canvas looks: {x, y, zoom}; null to fit the nodes"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_job_name = models.CharField(
        max_length=100, blank=True, help_text="The job most recently submitted from this draft"
    )

    objects = PipelineDraftQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/designer/{self.pk}/"

    def graph_with_viewport(self) -> dict:
        """The graph as the API shows it: with the canvas's viewport, when one is saved."""
        graph = dict(self.graph or {})
        if self.viewport is not None:
            graph["viewport"] = self.viewport
        return graph

    @property
    def node_count(self) -> int:
        """How many nodes the canvas holds."""
        nodes = (self.graph or {}).get("nodes")
        return len(nodes) if isinstance(nodes, list) else 0
