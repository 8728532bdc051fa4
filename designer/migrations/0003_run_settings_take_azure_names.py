"""A component node's run settings take Azure ML's names, as in pipeline YAML and job specs:
`timeout_seconds` becomes `limits.timeout`, `max_retries` and `retry_on_failure` move under
`retry_settings`."""

from django.db import migrations

# Frozen here (a migration must not change when the code does): old key -> (group, key).
FLAT_NAMES = {
    "timeout_seconds": ("limits", "timeout"),
    "max_retries": ("retry_settings", "max_retries"),
    "retry_on_failure": ("retry_settings", "retry_on_failure"),
}


def _nest(data: dict) -> dict:
    nested = {key: value for key, value in data.items() if key not in FLAT_NAMES}
    for old, (group, key) in FLAT_NAMES.items():
        if old in data:
            nested.setdefault(group, {})[key] = data[old]
    return nested


def _flatten(data: dict) -> dict:
    flat = {key: value for key, value in data.items() if key not in ("limits", "retry_settings")}
    for old, (group, key) in FLAT_NAMES.items():
        if key in (data.get(group) or {}):
            flat[old] = data[group][key]
    return flat


def _rewrite(apps, change) -> None:
    PipelineDraft = apps.get_model("designer", "PipelineDraft")
    for draft in PipelineDraft.objects.iterator():
        nodes = (draft.graph or {}).get("nodes") or []
        changed = False
        for node in nodes:
            if node.get("type") == "component" and isinstance(node.get("data"), dict):
                rewritten = change(node["data"])
                changed = changed or rewritten != node["data"]
                node["data"] = rewritten
        if changed:
            draft.save(update_fields=["graph"])


def nest(apps, schema_editor):
    _rewrite(apps, _nest)


def flatten(apps, schema_editor):
    _rewrite(apps, _flatten)


class Migration(migrations.Migration):
    dependencies = [("designer", "0002_pipelinedraft_viewport")]

    operations = [migrations.RunPython(nest, flatten)]
