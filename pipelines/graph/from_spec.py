"""Frozen spec -> graph (clone a job into a draft)."""

from __future__ import annotations

from pipelines.graph.from_document import empty_component_data, make_edge, make_node, new_id
from pipelines.graph.names import DATA_HANDLE, parameter_type, sanitise
from pipelines.rules import PARAMETER_TYPES
from pipelines.spec import PipelineSpec


def spec_to_graph(spec_json: dict | PipelineSpec) -> dict:
    """The graph of a job's frozen spec: components pinned to the versions it ran, literal values,
    data from their asset (one data node per asset). Data without an asset (an upload, a URL)
    cannot be a data node: a comment next to the step says which input it fed."""
    spec = spec_json if isinstance(spec_json, PipelineSpec) else PipelineSpec.model_validate(spec_json)
    taken: set[str] = set(spec.steps)
    nodes: list[dict] = []
    data_nodes: list[dict] = []
    notes: list[dict] = []
    edges: list[dict] = []
    data_ids: dict[str, str] = {}
    pipeline_inputs: dict[str, dict] = {}
    for step_name, step in spec.steps.items():
        data = empty_component_data(f"{step.component.name}:{step.component.version}")
        data.update(
            display_name=step.display_name,
            compute=step.compute if step.compute != spec.settings.default_compute else None,
            limits=step.limits.model_dump(),
            retry_settings=step.retry_settings.model_dump(),
            force_rerun=step.force_rerun,
        )
        for port, binding in step.inputs.items():
            promoted = step.input_sources.get(port)
            if binding.kind == "literal" and promoted in spec.inputs:
                data["pipeline_inputs"][port] = promoted
                if promoted not in pipeline_inputs:
                    declared = spec.input_declarations.get(promoted)
                    kind = step.component.spec.get("inputs", {}).get(port, {}).get("type")
                    pipeline_inputs[promoted] = {
                        "type": (declared and declared.type)
                        or (kind if kind in PARAMETER_TYPES else parameter_type(binding.value)),
                        "value": binding.value,
                    }
                    if declared and declared.description:
                        pipeline_inputs[promoted]["description"] = declared.description
            elif binding.kind == "literal":
                data["inputs"][port] = binding.value
            elif binding.kind == "step_output":
                edges.append(make_edge(binding.step, binding.output, step_name, port))
            elif binding.asset:
                if binding.asset not in data_ids:
                    data_ids[binding.asset] = new_id(promoted or sanitise(binding.asset, set()), taken)
                    data_nodes.append(make_node(data_ids[binding.asset], "data", {"asset": binding.asset}))
                edges.append(make_edge(data_ids[binding.asset], DATA_HANDLE, step_name, port))
            else:
                source = (
                    f"the URL {binding.url}"
                    if binding.url
                    else f"uploaded data (snapshot {binding.snapshot})"
                )
                notes.append(
                    make_node(
                        new_id(f"note_{step_name}_{port}", taken),
                        "comment",
                        {
                            "text": f"Input {port} of {step.display_name or step_name} read {source}, "
                            "which a draft cannot hold: register it as a data asset and connect a data "
                            "node here."
                        },
                    )
                )
        nodes.append(make_node(step_name, "component", data))
    return {
        "nodes": [*data_nodes, *nodes, *notes],
        "edges": edges,
        "settings": {
            "default_compute": spec.settings.default_compute,
            "continue_on_step_failure": spec.settings.continue_on_step_failure,
            "force_rerun": spec.settings.force_rerun,
            "experiment_name": spec.experiment_name or "Default",
        },
        "inputs": pipeline_inputs,
        "outputs": {
            name: {"node": output.step, "port": output.output} for name, output in spec.outputs.items()
        },
    }
