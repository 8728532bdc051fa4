"""Pipeline job document -> graph (import YAML into the designer)."""

from __future__ import annotations

from pipelines.document import Limits, RetrySettings
from pipelines.graph.names import DATA_HANDLE, binding_parts, parameter_type, strip_azureml
from pipelines.rules import PARAMETER_TYPES
from pipelines.spec import PipelineSpec


def new_id(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}_{number}"
        number += 1
    taken.add(candidate)
    return candidate


def empty_component_data(component: str) -> dict:
    return {
        "component": component,
        "display_name": "",
        "inputs": {},
        "pipeline_inputs": {},
        "compute": None,
        "limits": Limits().model_dump(),
        "retry_settings": RetrySettings().model_dump(),
        "force_rerun": False,
    }


def make_node(node_id: str, kind: str, data: dict) -> dict:
    return {"id": node_id, "type": kind, "position": {"x": 0, "y": 0}, "data": data}


def make_edge(source: str, handle: str, target: str, port: str) -> dict:
    return {
        "id": f"{source}.{handle}->{target}.{port}",
        "source": source,
        "sourceHandle": handle,
        "target": target,
        "targetHandle": port,
    }


def document_to_graph(document: dict, *, spec: PipelineSpec | None = None) -> dict:
    """The graph of a pipeline job document (import). With the compiled `spec`, components and data
    are pinned to the versions they resolved to (`@latest` becomes NAME:VERSION) and computes to
    Studio's names. Data inputs become data nodes, `${{parent.jobs…}}` bindings edges, literal
    pipeline inputs stay pipeline inputs. Call `layout` to place the nodes."""
    raw_inputs = document.get("inputs") or {}
    jobs = document.get("jobs") or {}
    settings_doc = document.get("settings") or {}
    taken: set[str] = set()
    job_ids = {job: new_id(str(job), taken) for job in jobs}
    nodes: list[dict] = []
    edges: list[dict] = []
    inputs: dict[str, dict] = {}
    outputs: dict[str, dict] = {}
    data_ids: dict[str, str] = {}

    for input_name, value in raw_inputs.items():
        if isinstance(value, dict) and "path" in value:
            pinned = spec.inputs.get(input_name) if spec else None
            asset = pinned.asset if pinned is not None and getattr(pinned, "asset", None) else None
            data_ids[input_name] = new_id(str(input_name), taken)
            nodes.append(
                make_node(data_ids[input_name], "data", {"asset": asset or strip_azureml(str(value["path"]))})
            )
            continue
        description = ""
        if isinstance(value, dict):
            literal = value.get("value", value.get("default"))
            kind = value.get("type") if value.get("type") in PARAMETER_TYPES else parameter_type(literal)
            description = str(value.get("description") or "")
        else:
            literal, kind = value, parameter_type(value)
        inputs[input_name] = {"type": kind, "value": literal}
        if description:
            inputs[input_name]["description"] = description

    for job, step in jobs.items():
        node_id = job_ids[job]
        pinned_step = spec.steps.get(job) if spec else None
        if pinned_step is not None:
            component = f"{pinned_step.component.name}:{pinned_step.component.version}"
        else:
            component = strip_azureml(str(step.get("component") or ""))
        data = empty_component_data(component)
        data["display_name"] = str(step.get("display_name") or "")
        if "compute" in step:
            data["compute"] = pinned_step.compute if pinned_step else strip_azureml(str(step["compute"]))
        if pinned_step is not None:
            data["limits"] = pinned_step.limits.model_dump()
            data["retry_settings"] = pinned_step.retry_settings.model_dump()
        else:
            retry = step.get("retry_settings") or {}
            data["limits"] = {"timeout": (step.get("limits") or {}).get("timeout")}
            data["retry_settings"] = {
                "max_retries": retry.get("max_retries", 0) or 0,
                "retry_on_failure": bool(retry.get("retry_on_failure", False)),
            }
        data["force_rerun"] = bool(step.get("force_rerun", False))
        for port, value in (step.get("inputs") or {}).items():
            target = binding_parts(value)
            if target is not None and len(target) == 2 and target[0] == "inputs":
                if target[1] in data_ids:
                    edges.append(make_edge(data_ids[target[1]], DATA_HANDLE, node_id, port))
                else:
                    data["pipeline_inputs"][port] = target[1]
            elif target is not None and len(target) == 4 and target[0] == "jobs" and target[1] in job_ids:
                edges.append(make_edge(job_ids[target[1]], target[3], node_id, port))
            elif isinstance(value, dict) and "path" in value:
                binding = pinned_step.inputs.get(port) if pinned_step else None
                asset = getattr(binding, "asset", None) or strip_azureml(str(value["path"]))
                data_id = new_id(f"{node_id}_{port}", taken)
                nodes.append(make_node(data_id, "data", {"asset": asset}))
                edges.append(make_edge(data_id, DATA_HANDLE, node_id, port))
            elif target is None:
                data["inputs"][port] = value
        for port, value in (step.get("outputs") or {}).items():
            target = binding_parts(value)
            if target is not None and len(target) == 2 and target[0] == "outputs":
                outputs[target[1]] = {"node": node_id, "port": port}
        nodes.append(make_node(node_id, "component", data))

    compute_text = settings_doc.get("default_compute", document.get("compute"))
    default_compute = None
    if compute_text is not None:
        default_compute = (
            spec.settings.default_compute if spec else strip_azureml(str(compute_text))
        ) or None
    # data nodes first, then components in document order: reads left to right after `layout`
    nodes.sort(key=lambda node: node["type"] != "data")
    return {
        "nodes": nodes,
        "edges": edges,
        "settings": {
            "default_compute": default_compute,
            "continue_on_step_failure": bool(settings_doc.get("continue_on_step_failure", False)),
            "force_rerun": bool(settings_doc.get("force_rerun", False)),
            "experiment_name": str(document.get("experiment_name") or "Default"),
        },
        "inputs": inputs,
        "outputs": outputs,
    }
