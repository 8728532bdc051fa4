"""A step that asks for more GPUs than its compute has is refused when the pipeline is checked.

It could never start: waiting for GPUs that do not exist would leave it Queued for good. Checked at
the one front door every route goes through (`check_steps`), so the YAML, the designer, endpoints
and the CLI all refuse it with the same reason (400). A compute whose GPUs change after a job was
submitted fails the step when it would start (`runner.slots.take_slot`).
"""

from __future__ import annotations

from collections.abc import Callable

from studio.models import Compute


def requested_gpus(step: dict) -> int:
    """`resources.gpus` of the step, else of its component (0 when neither says)."""
    component = step.get("component")
    resources = {**((component.spec.get("resources") or {}) if component is not None else {})}
    resources.update(step.get("resources") or {})
    value = resources.get("gpus") or 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def check_gpu_requests(report: Callable[[tuple, str], None], steps: dict[str, dict]) -> None:
    """Report each step asking for more GPUs than its compute lists (one query for all computes)."""
    asking = {name: requested_gpus(step) for name, step in steps.items()}
    names = {steps[name].get("compute") for name, count in asking.items() if count}
    if not names - {None}:
        return
    gpus = dict(Compute.objects.filter(name__in=names - {None}).values_list("name", "gpu_ids"))
    for name, count in asking.items():
        compute = steps[name].get("compute")
        if not count or compute not in gpus:
            continue
        have = [str(gpu) for gpu in gpus[compute] or []]
        if count > len(have):
            listed = f" ({', '.join(have)})" if have else ""
            report(
                ("jobs", name, "resources", "gpus"),
                f"asks for {count} GPU{'s' if count != 1 else ''}; compute {compute} has {len(have)}{listed}",
            )
