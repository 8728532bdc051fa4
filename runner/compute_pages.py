"""Pages of the computes: the list, one compute's detail with its live workers, and its
check/drain/resume buttons."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from runner import presence, serving
from runner.choices import STEP_ACTIVE
from runner.computes import request_check
from runner.gpu_leases import holders
from studio.choices import ComputeState
from studio.models import Compute
from studio.roles import check_admin
from studio.views.assets import not_found

# A check asked from a compute's page: the page reloads until a worker answers, for CHECK_WAIT.
CHECK_PENDING = "compute-check-pending:"
CHECK_WAIT = timedelta(minutes=1)


def computes(request):
    """Registered computes with capacity and state."""
    computes = list(Compute.objects.all())
    live = list(presence.live_workers())
    for compute in computes:
        compute.live_workers = [worker for worker in live if compute.name in (worker.computes or [])]
    return render(request, "studio/computes.html", {"computes": computes})


def _missing(request, name: str):
    return not_found(
        request,
        f"There is no compute {name}.",
        back_url=reverse("studio:computes"),
        back_label="All computes",
    )


def compute_detail(request, name: str):
    """One compute: state, capacity, what its engine reported, and the steps running on it."""
    compute = Compute.objects.filter(name=name).first()
    if compute is None:
        return _missing(request, name)
    info = compute.engine_info or {}
    return render(
        request,
        "studio/compute_detail.html",
        {
            "compute": compute,
            "info": info,
            "runtimes": info.get("runtimes") or [],
            "is_draining": compute.state == ComputeState.DRAINING,
            # Not the jobs' specs (megabytes for a big job): the page shows their names.
            "running_steps": compute.steps.filter(status__in=STEP_ACTIVE)
            .select_related("job")
            .defer("job__spec"),
            "workers": presence.workers_of(compute),
            "local_host": serving.local_host_of(compute, claim=False) if compute.kind == "local" else None,
            "gpus": holders(compute),  # which step holds which GPU (on this or another compute)
            "check_pending": _check_pending(request, compute),
            "checked_just_now": compute.checked_at is not None
            and timezone.now() - compute.checked_at < timedelta(minutes=1),
        },
    )


@require_POST
def check_compute(request, name: str):
    """Probe the compute now and go back to its page."""

    check_admin(request.user, "check a compute")
    compute = Compute.objects.filter(name=name).first()
    if compute is None:
        return _missing(request, name)
    asked = request_check(compute)
    if asked.requested:  # the page reloads until the worker's answer lands (`_check_pending`)
        request.session[CHECK_PENDING + compute.name] = timezone.now().isoformat()
        level = messages.INFO
    elif asked.checked and compute.state == ComputeState.ONLINE:
        level = messages.SUCCESS
    else:
        level = messages.WARNING
    messages.add_message(request, level, asked.message)
    return redirect("studio:compute", name=compute.name)


def _check_pending(request, compute: Compute) -> bool:
    """Whether a check asked from this page still waits for its worker's answer (up to
    CHECK_WAIT); once it lands, say what it found."""
    asked_at = request.session.get(CHECK_PENDING + compute.name)
    if asked_at is None:
        return False
    asked = datetime.fromisoformat(asked_at)
    if compute.checked_at is not None and compute.checked_at >= asked:
        del request.session[CHECK_PENDING + compute.name]
        level = messages.SUCCESS if compute.state == ComputeState.ONLINE else messages.WARNING
        detail = f": {compute.state_detail}" if compute.state_detail else ""
        messages.add_message(request, level, f"Checked {compute.name}: {compute.get_state_display()}{detail}")
        return False
    if timezone.now() - asked > CHECK_WAIT:
        del request.session[CHECK_PENDING + compute.name]
        messages.warning(request, f"No worker answered the check of {compute.name} within a minute.")
        return False
    return True


@require_POST
def drain_compute(request, name: str):
    """Start no new steps on the compute; running ones finish."""
    check_admin(request.user, "drain a compute")
    compute = Compute.objects.filter(name=name).first()
    if compute is None:
        return _missing(request, name)
    compute.drain(by=request.user)
    messages.success(request, f"{compute.name} is draining: running steps finish, no new ones start.")
    return redirect("studio:compute", name=compute.name)


@require_POST
def resume_compute(request, name: str):
    """Take new steps again after draining, and check the compute's state."""

    check_admin(request.user, "resume a compute")
    compute = Compute.objects.filter(name=name).first()
    if compute is None:
        return _missing(request, name)
    compute.resume(by=request.user)
    request_check(compute)
    messages.success(
        request, f"{compute.name} takes new steps again ({compute.get_state_display().lower()})."
    )
    return redirect("studio:compute", name=compute.name)
