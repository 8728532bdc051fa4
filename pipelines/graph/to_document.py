"""Graph -> Azure ML v2 pipeline job document."""

from __future__ import annotations

from typing import Any

from pipelines.graph.names import azureml_reference, names_of, parameter_type

PIPELINE_SCHEMA = "https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json"


class RegistryCatalog:
    """What the document needs to know of registered assets: a data asset's type, a component
    output's type and whether a component is a pipeline component. Missing ones get the Azure
    default; compiling reports them."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._components: dict[str, dict] = {}

    def data_type(self, reference: str) -> str:
        if reference not in self._data:
            from studio.models import DataAsset
            from studio.references import ReferenceError, parse_reference, resolve

            try:
                asset = resolve(DataAsset, parse_reference(azureml_reference(reference), kind="data"))
                self._data[reference] = asset.data_type
            except ReferenceError:
                self._data[reference] = "uri_folder"
        return self._data[reference]

    def _component(self, reference: str) -> dict:
        """The component's spec ({} when it is not registered)."""
        if reference not in self._components:
            from studio.models import Component
            from studio.references import ReferenceError, parse_reference, resolve

            try:
                component = resolve(
                    Component, parse_reference(azureml_reference(reference), kind="components")
                )
                self._components[reference] = component.spec or {}
            except ReferenceError:
                self._components[reference] = {}
        return self._components[reference]

    def output_type(self, reference: str, port: str) -> str:
        return ((self._component(reference).get("outputs") or {}).get(port) or {}).get("type", "uri_folder")

    def job_type(self, reference: str) -> str:
        """`pipeline` for a pipeline component, else `command` (an unknown one too)."""
        return "pipeline" if self._component(reference).get("type") == "pipeline" else "command"


def _pipeline_input(declared: dict) -> Any:
    """A literal pipeline input: the bare value when its type is obvious from it and it has no
    description, else {type, value, description?}."""
    value = declared.get("value")
    description = declared.get("description") or ""
    if value is not None and parameter_type(value) == declared["type"] and not description:
        return value
    shaped = {"type": declared["type"], "value": value}
    if description:
        shaped["description"] = description
    return shaped


def graph_to_document(
    graph: dict, *, name: str = "", description: str = "", catalog: RegistryCatalog | None = None
) -> tuple[dict, dict[str, str]]:
    """The Azure ML v2 pipeline job document of a graph, and which node each job comes from.

    Components are `azureml:NAME:VERSION`; data nodes are pipeline inputs `{type, path}`; edges are
    `${{parent.jobs.X.outputs.Y}}` (or `${{parent.inputs.D}}` from a data node); promoted inputs
    are `${{parent.inputs.Z}}`; pipeline outputs are bound with `${{parent.outputs.Z}}`. Comments
    have no YAML form. Things that make no sense (dangling edges, …) are left out here and reported
    by `graph_problems`.
    """
    catalog = catalog or RegistryCatalog()
    names = names_of(graph)
    nodes = {node["id"]: node for node in graph.get("nodes", [])}
    settings = graph.get("settings") or {}

    document: dict[str, Any] = {"$schema": PIPELINE_SCHEMA, "type": "pipeline"}
    if name:
        document["display_name"] = name
    if description:
        document["description"] = description
    document["experiment_name"] = settings.get("experiment_name") or "Default"
    document_settings: dict[str, Any] = {}
    if settings.get("default_compute"):
        document_settings["default_compute"] = azureml_reference(settings["default_compute"])
    document_settings["continue_on_step_failure"] = bool(settings.get("continue_on_step_failure"))
    document_settings["force_rerun"] = bool(settings.get("force_rerun"))
    document["settings"] = document_settings

    inputs: dict[str, Any] = {
        input_name: _pipeline_input(declared) for input_name, declared in (graph.get("inputs") or {}).items()
    }
    for node_id, input_name in names.data.items():
        asset = nodes[node_id]["data"].get("asset") or ""
        inputs[input_name] = {
            "type": catalog.data_type(asset) if asset else "uri_folder",
            "path": azureml_reference(asset),
        }
    if inputs:
        document["inputs"] = inputs

    incoming: dict[tuple[str, str], str] = {}
    for edge in graph.get("edges", []):
        source, target = nodes.get(edge["source"]), nodes.get(edge["target"])
        if source is None or target is None or target["type"] != "component":
            continue
        key = (target["id"], edge["targetHandle"])
        if key in incoming:
            continue
        if source["type"] == "data":
            incoming[key] = f"${{{{parent.inputs.{names.data[source['id']]}}}}}"
        elif source["type"] == "component":
            job = names.jobs[source["id"]]
            incoming[key] = f"${{{{parent.jobs.{job}.outputs.{edge['sourceHandle']}}}}}"

    outputs: dict[str, Any] = {}
    feeds: dict[tuple[str, str], str] = {}
    for output_name, target in (graph.get("outputs") or {}).items():
        node = nodes.get(target["node"])
        if node is None or node["type"] != "component" or (node["id"], target["port"]) in feeds:
            continue
        feeds[(node["id"], target["port"])] = output_name
        outputs[output_name] = {
            "type": catalog.output_type(node["data"].get("component") or "", target["port"])
        }
    if outputs:
        document["outputs"] = outputs

    # By node, in edge and output order: each node reads only its own (linear in the graph's size).
    incoming_of: dict[str, dict[str, str]] = {}
    for (target, port), binding in incoming.items():
        incoming_of.setdefault(target, {})[port] = binding
    feeds_of: dict[str, dict[str, str]] = {}
    for (source, port), output_name in feeds.items():
        feeds_of.setdefault(source, {})[port] = output_name

    jobs: dict[str, Any] = {}
    for node_id, job_name in names.jobs.items():
        data = nodes[node_id]["data"]
        reference = data.get("component") or ""
        job: dict[str, Any] = {
            "type": catalog.job_type(reference) if reference.strip() else "command",
            "component": azureml_reference(reference),
        }
        if data.get("display_name"):
            job["display_name"] = data["display_name"]
        if data.get("compute"):
            job["compute"] = azureml_reference(data["compute"])
        job_inputs: dict[str, Any] = {}
        for port, value in (data.get("inputs") or {}).items():
            if value is not None:
                job_inputs[port] = value
        for port, input_name in (data.get("pipeline_inputs") or {}).items():
            job_inputs[port] = f"${{{{parent.inputs.{input_name}}}}}"
        job_inputs.update(incoming_of.get(node_id, {}))
        if job_inputs:
            job["inputs"] = job_inputs
        job_outputs = {
            port: f"${{{{parent.outputs.{output_name}}}}}"
            for port, output_name in feeds_of.get(node_id, {}).items()
        }
        if job_outputs:
            job["outputs"] = job_outputs
        limits = data.get("limits") or {}
        if limits.get("timeout") is not None:
            job["limits"] = dict(limits)
        retry = data.get("retry_settings") or {}
        if retry.get("max_retries") or retry.get("retry_on_failure"):
            job["retry_settings"] = dict(retry)
        if data.get("force_rerun"):
            job["force_rerun"] = True
        jobs[job_name] = job
    document["jobs"] = jobs
    return document, {job: node for node, job in names.jobs.items()}
