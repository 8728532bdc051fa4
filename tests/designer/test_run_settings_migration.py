"""Drafts saved when a node's run settings were flat (`timeout_seconds`, `max_retries`,
`retry_on_failure`) are rewritten to Azure ML's names by migration designer 0003, and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("designer", "0002_pipelinedraft_viewport")]
AFTER = [("designer", "0003_run_settings_take_azure_names")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_drafts_take_the_new_names_and_can_go_back():
    apps = migrate(BEFORE)
    draft = apps.get_model("designer", "PipelineDraft").objects.create(
        name="old",
        graph={
            "nodes": [
                {
                    "id": "train",
                    "type": "component",
                    "position": {"x": 0, "y": 0},
                    "data": {
                        "component": "train_model:1",
                        "max_retries": 2,
                        "retry_on_failure": True,
                        "timeout_seconds": 600,
                    },
                },
                {"id": "iris", "type": "data", "position": {"x": 0, "y": 0}, "data": {"asset": "iris:1"}},
            ],
            "edges": [],
        },
    )
    try:
        apps = migrate(AFTER)
        data = apps.get_model("designer", "PipelineDraft").objects.get(pk=draft.pk).graph["nodes"][0]["data"]
        assert data == {
            "component": "train_model:1",
            "limits": {"timeout": 600},
            "retry_settings": {"max_retries": 2, "retry_on_failure": True},
        }
        apps = migrate(BEFORE)
        graph = apps.get_model("designer", "PipelineDraft").objects.get(pk=draft.pk).graph
        assert graph["nodes"][0]["data"] == {
            "component": "train_model:1",
            "max_retries": 2,
            "retry_on_failure": True,
            "timeout_seconds": 600,
        }
        assert graph["nodes"][1]["data"] == {"asset": "iris:1"}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
