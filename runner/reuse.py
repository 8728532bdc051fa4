"""Reuse: a Completed step with the same key and outputs still present is not run again.

The key hashes the component spec, its code snapshot, the environment, the parameter values and
the content of every input, so a change to any of them runs the step. A step reading an http(s)
input always runs: that content is only known once fetched (the steps after it are still reused
when it produced the same outputs).
"""

from __future__ import annotations

from pathlib import Path

from pipelines.spec import StepSpec
from runner.choices import StepStatus
from runner.models import StepRun
from studio.registry.versions import content_hash


def reuse_parts(step: StepSpec, input_hashes: dict[str, str]) -> dict:
    """What the reuse key is made of, kept on the step so the job page can explain it."""
    component = step.component
    ports = component.spec.get("inputs", {})
    parameters = {}
    for name, port in ports.items():
        binding = step.inputs.get(name)
        if binding is not None and binding.kind == "literal":
            parameters[name] = binding.value
        elif binding is None and port.get("default") is not None:
            parameters[name] = port["default"]
    parts = {
        "component": component.content_hash,
        "code": component.spec.get("code") or "",
        "environment": component.environment_hash,
        "parameters": parameters,
        "inputs": input_hashes,
    }
    if step.environment_variables:  # only when set: the keys of earlier runs stay the same
        parts["environment_variables"] = step.environment_variables
    return parts


def reuse_key(parts: dict) -> str:
    """The key of a set of parts."""
    return content_hash(parts)


def why_not_reusable(step: StepSpec, *, job_force_rerun: bool) -> str | None:
    """A reason this step must run even if an identical one ran, or None."""
    if job_force_rerun:
        return "not reused: the job asked to force a rerun"
    if step.force_rerun:
        return "not reused: this step asks to force a rerun"
    if not step.component.spec.get("is_deterministic", True):
        name = step.component.spec.get("display_name") or step.component.name
        return f"not reused: {name} is not deterministic"
    written = sorted({*step.output_assets, *step.output_destinations})
    if written:
        # Registering an output as an asset or writing it to a datastore path is done by the run
        # itself, for this job: a reused step would do neither.
        ports = ", ".join(written)
        return f"not reused: output {ports} is registered or written to a datastore when the step runs"
    for name, binding in sorted(step.inputs.items()):
        if binding.kind == "data" and binding.url and not binding.snapshot:
            # Its content is only known once fetched, and a URL's content changes: reusing on the
            # address alone could hand back results computed from older data.
            return f"not reused: input {name} is read from {binding.url}, whose content may have changed"
    return None


def outputs_present(outputs: dict) -> bool:
    """Whether every recorded output still exists on disk."""
    return all(Path(output["path"]).exists() for output in outputs.values())


def find_reusable(key: str, *, exclude_job_id: int) -> StepRun | None:
    """The newest Completed run (from another job) with this key whose outputs still exist."""
    candidates = (
        StepRun.objects.filter(reuse_key=key, status=StepStatus.COMPLETED)
        .exclude(job_id=exclude_job_id)
        .order_by("-finished_at")[:5]
    )
    for candidate in candidates:
        original = candidate.reused_from or candidate
        if outputs_present(original.outputs):
            return original
    return None
