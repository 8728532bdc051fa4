"""The canvas's viewport moves out of the graph into a column of its own, so saving it is not an edit."""

from django.db import migrations, models


def move_viewport_out_of_the_graph(apps, schema_editor):
    PipelineDraft = apps.get_model("designer", "PipelineDraft")
    for draft in PipelineDraft.objects.filter(graph__has_key="viewport").iterator():
        draft.viewport = draft.graph.pop("viewport")
        draft.save(update_fields=["graph", "viewport"])


def move_viewport_back_into_the_graph(apps, schema_editor):
    PipelineDraft = apps.get_model("designer", "PipelineDraft")
    for draft in PipelineDraft.objects.filter(viewport__isnull=False).iterator():
        draft.graph["viewport"] = draft.viewport
        draft.save(update_fields=["graph"])


class Migration(migrations.Migration):
    dependencies = [("designer", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="pipelinedraft",
            name="viewport",
            field=models.JSONField(
                blank=True, help_text="Where the canvas looks: {x, y, zoom}; null to fit the nodes", null=True
            ),
        ),
        migrations.RunPython(move_viewport_out_of_the_graph, move_viewport_back_into_the_graph),
    ]
