"""Frozen spec -> graph (clone a job into a draft)."""

from __future__ import annotations

from pipelines.graph.from_document import empty_component_data, make_edge, make_node, new_id
from pipelines.graph.names import DATA_HANDLE, parameter_type, sanitise
from pipelines.rules import PARAMETER_TYPES
from pipelines.spec import PipelineSpec


class _Groups:
    """Where the steps of pipeline components are seen from the top level: a step inside a
    top-level pipeline-component step is that step's node, and its outputs that the group passes
    out are the group's output ports."""

    def __init__(self, spec: PipelineSpec) -> None:
        self.spec = spec
        self._top: dict[str, str] = {}
        self.ports: dict[tuple[str, str], str] = {}  # (leaf step, output) -> top group's port
        for group in spec.groups.values():
            if not group.parent:
                for port, output in group.outputs.items():
                    self.ports.setdefault((output.step, output.output), port)

    def top(self, group: str) -> str:
        """The top-level group holding `group` (itself at the top)."""
        if group not in self._top:
            seen, current = set(), group
            while current in self.spec.groups and self.spec.groups[current].parent and current not in seen:
                seen.add(current)
                current = self.spec.groups[current].parent
            self._top[group] = current
        return self._top[group]

    def source(self, step: str, output: str) -> tuple[str, str] | None:
        """The node and port an output of `step` is seen at from the top level (None: it does not
        leave its pipeline component)."""
        inner = self.spec.steps.get(step)
        if inner is None or not inner.group:
            return step, output
        port = self.ports.get((step, output))
        return (self.top(inner.group), port) if port is not None else None


def _promote(data: dict, port: str, promoted: str, value, kind, spec, pipeline_inputs: dict) -> None:
    """A node's input that a pipeline input sets: a pipeline parameter of the draft."""
    data["pipeline_inputs"][port] = promoted
    if promoted not in pipeline_inputs:
        declared = spec.input_declarations.get(promoted)
        pipeline_inputs[promoted] = {
            "type": (declared and declared.type)
            or (kind if kind in PARAMETER_TYPES else parameter_type(value)),
            "value": value,
        }
        if declared and declared.description:
            pipeline_inputs[promoted]["description"] = declared.description


def spec_to_graph(spec_json: dict | PipelineSpec) -> dict:
    """The graph of a job's frozen spec: components pinned to the versions it ran, literal values,
    data from their asset (one data node per asset). Data without an asset (an upload, a URL)
    cannot be a data node: a comment next to the step says which input it fed.

    A top-level step whose component is a pipeline component (a group of the spec) is one node of
    that component, with the inputs its parent bound; wires to and from the steps inside it are
    wires to its ports. The steps inside are not nodes of their own."""
    spec = spec_json if isinstance(spec_json, PipelineSpec) else PipelineSpec.model_validate(spec_json)
    groups = _Groups(spec)
    top_groups = {name: group for name, group in spec.groups.items() if not group.parent}
    taken: set[str] = set(spec.steps) | set(top_groups)
    nodes: list[dict] = []
    data_nodes: list[dict] = []
    notes: list[dict] = []
    edges: list[dict] = []
    data_ids: dict[str, str] = {}
    pipeline_inputs: dict[str, dict] = {}
    for group_name, group in top_groups.items():
        data = empty_component_data(f"{group.component.get('name')}:{group.component.get('version')}")
        data["display_name"] = group.display_name
        for port, binding in group.inputs.items():
            promoted = group.input_sources.get(port)
            if binding.kind == "literal" and promoted in spec.inputs:
                _promote(data, port, promoted, binding.value, None, spec, pipeline_inputs)
            elif binding.kind == "literal":
                data["inputs"][port] = binding.value
            elif binding.kind == "step_output":
                seen_at = groups.source(binding.step, binding.output)
                if seen_at is not None:
                    edges.append(make_edge(seen_at[0], seen_at[1], group_name, port))
            else:
                _data_input(
                    binding,
                    port,
                    group_name,
                    group.display_name or group_name,
                    data_ids,
                    data_nodes,
                    notes,
                    edges,
                    taken,
                )
        nodes.append(make_node(group_name, "component", data))
    for step_name, step in spec.steps.items():
        if step.group:
            continue  # inside a pipeline component: its node is the group's
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
                kind = step.component.spec.get("inputs", {}).get(port, {}).get("type")
                _promote(data, port, promoted, binding.value, kind, spec, pipeline_inputs)
            elif binding.kind == "literal":
                data["inputs"][port] = binding.value
            elif binding.kind == "step_output":
                seen_at = groups.source(binding.step, binding.output)
                if seen_at is not None:
                    edges.append(make_edge(seen_at[0], seen_at[1], step_name, port))
            else:
                _data_input(
                    binding,
                    port,
                    step_name,
                    step.display_name or step_name,
                    data_ids,
                    data_nodes,
                    notes,
                    edges,
                    taken,
                    promoted,
                )
        nodes.append(make_node(step_name, "component", data))
    outputs = {}
    for name, output in spec.outputs.items():
        seen_at = groups.source(output.step, output.output)
        if seen_at is not None:
            outputs[name] = {"node": seen_at[0], "port": seen_at[1]}
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
        "outputs": outputs,
    }


def _data_input(binding, port, node_id, label, data_ids, data_nodes, notes, edges, taken, promoted=None):
    """Data bound to a node's input: an edge from the data node of its asset (one per asset), or,
    without an asset, a comment saying what the input read."""
    if binding.asset:
        if binding.asset not in data_ids:
            data_ids[binding.asset] = new_id(promoted or sanitise(binding.asset, set()), taken)
            data_nodes.append(make_node(data_ids[binding.asset], "data", {"asset": binding.asset}))
        edges.append(make_edge(data_ids[binding.asset], DATA_HANDLE, node_id, port))
        return
    source = f"the URL {binding.url}" if binding.url else f"uploaded data (snapshot {binding.snapshot})"
    notes.append(
        make_node(
            new_id(f"note_{node_id}_{port}", taken),
            "comment",
            {
                "text": f"Input {port} of {label} read {source}, which a draft cannot hold: register "
                "it as a data asset and connect a data node here."
            },
        )
    )
