"""The field paths of azure-ai-ml's own marshmallow schemas, for the YAML kinds docs/azureml-compat.md covers.

`field_paths(kind)` walks the schema azure-ai-ml loads that kind with: every field a YAML file may
set (read-only fields the service writes are left out), nested mappings as `parent.child`, the
entries of a named mapping (`inputs`, `outputs`, `jobs`, `services`) as `parent.<name>.child`.
Where a field holds a document of another section (an inline environment, an inline component),
the walk stops: that section lists its fields.
"""

from __future__ import annotations

import functools

SECTIONS = {
    "command job": ("azure.ai.ml._schema.job.command_job", "CommandJobSchema"),
    "pipeline job": ("azure.ai.ml._schema.pipeline.pipeline_job", "PipelineJobSchema"),
    "command component": ("azure.ai.ml._schema.component.command_component", "CommandComponentSchema"),
    "pipeline component": ("azure.ai.ml._schema.pipeline.pipeline_component", "PipelineComponentSchema"),
    "environment": ("azure.ai.ml._schema.assets.environment", "EnvironmentSchema"),
    "data": ("azure.ai.ml._schema.assets.data", "DataSchema"),
    "datastore (azure_blob)": ("azure.ai.ml._schema._datastore", "AzureBlobSchema"),
    "datastore (azure_file)": ("azure.ai.ml._schema._datastore", "AzureFileSchema"),
    "datastore (azure_data_lake_gen1)": ("azure.ai.ml._schema._datastore", "AzureDataLakeGen1Schema"),
    "datastore (azure_data_lake_gen2)": ("azure.ai.ml._schema._datastore", "AzureDataLakeGen2Schema"),
    "model": ("azure.ai.ml._schema.assets.model", "ModelSchema"),
}

# Nested documents that have a section of their own: the walk names the field and stops.
STOP_AT = ("EnvironmentSchema", "ComponentSchema", "CommandComponentSchema", "PipelineComponentSchema")
# The step kinds of `jobs.<name>` the doc lists field by field (command steps, inline or from a
# component, and pipeline-component steps); any other kind (sweep, parallel, spark, automl, import,
# data transfer) is one row, `jobs.<name>.type`.
STEP_KINDS = ("CommandSchema", "PipelineCommandJobSchema", "PipelineSchema")
DEPTH = 4


def _children(field):
    import marshmallow.fields as mf
    from azure.ai.ml._schema.core import fields as cf

    if isinstance(field, (cf.NestedField, mf.Nested)):
        return [("", field.schema)]
    if isinstance(field, cf.UnionField):
        return [child for option in field._union_fields for child in _children(option)]
    if isinstance(field, mf.Dict):
        if field.value_field is None:
            return []
        return [("<name>", schema) for _, schema in _children(field.value_field)]
    if isinstance(field, mf.List):
        return _children(field.inner)
    inner = getattr(field, "_experimental_field", None)
    return _children(inner) if inner is not None else []


def _stops(schema) -> bool:
    name = type(schema).__name__
    return any(name.endswith(stop) for stop in STOP_AT) and "Internal" not in name


def _walk(schema, prefix: tuple, depth: int, out: set, seen: set) -> None:
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        path = (*prefix, field.data_key or name)
        out.add(".".join(path))
        if depth <= 1:
            continue
        for extra, child in _children(field):
            if _stops(child):
                continue
            if path[-1] == "jobs" and type(child).__name__ not in STEP_KINDS:
                continue
            child_path = (*path, extra) if extra else path
            key = (child_path, type(child).__name__)
            if key in seen:
                continue
            seen.add(key)
            _walk(child, child_path, depth - 1, out, seen)


@functools.cache
def field_paths(section: str) -> frozenset[str]:
    """Every settable field path of one section's azure-ai-ml schema."""
    import importlib

    module, name = SECTIONS[section]
    schema = getattr(importlib.import_module(module), name)(context={"base_path": "."})
    out: set[str] = set()
    _walk(schema, (), DEPTH, out, set())
    return frozenset(out)
