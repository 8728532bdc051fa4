"""Queries of draft lists: a draft's graph (thousands of nodes, it may be) stays in the database.

A list shows each draft's node count, not its graph, so the database counts the nodes.
"""

from __future__ import annotations

from django.db.models import F, Func, IntegerField, QuerySet

from designer.models import PipelineDraft


class GraphNodeCount(Func):
    """How many nodes a draft's graph holds (0 when it has none), counted by the database."""

    output_field = IntegerField()

    def __init__(self) -> None:
        super().__init__(F("graph"))

    def as_sqlite(self, compiler, connection, **extra):
        template = "COALESCE(json_array_length(%(expressions)s, '$.nodes'), 0)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "CASE WHEN jsonb_typeof(%(expressions)s -> 'nodes') = 'array' "
            "THEN jsonb_array_length(%(expressions)s -> 'nodes') ELSE 0 END"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def drafts_listed() -> QuerySet[PipelineDraft]:
    """Drafts that are not deleted, with their creator and `listed_nodes` instead of their graph."""
    return (
        PipelineDraft.objects.alive()
        .select_related("created_by")
        .defer("graph", "viewport")
        .annotate(listed_nodes=GraphNodeCount())
    )
