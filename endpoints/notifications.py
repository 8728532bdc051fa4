"""Live news of an endpoint's runs: a notification to the endpoint's owner and to the invoking user
when an invocation is recorded (accepted or refused) and when the job of one changes status.

The endpoint page's island (frontend/src/endpoints/) listens on `/ws/notifications/` and reloads its
recent runs on each; nothing polls. Registered by EndpointsConfig.ready(); the runner knows nothing
of endpoints, it only sends `job_status_changed`.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from endpoints.models import EndpointInvocation
from runner.events import notify_user
from runner.signals import job_status_changed

KIND = "endpoint.run"


def run_notice(*, endpoint: str, invocation: int, job: str | None, status: str) -> dict:
    """What the notifications socket carries about one run of an endpoint."""
    return {"kind": KIND, "endpoint": endpoint, "invocation": invocation, "job": job, "status": status}


def _send(user_ids: set[int | None], payload: dict) -> None:
    for user_id in sorted(uid for uid in user_ids if uid is not None):
        notify_user(user_id, payload)


@receiver(post_save, sender=EndpointInvocation, dispatch_uid="endpoints.notifications.invocation")
def _invocation_recorded(sender, instance: EndpointInvocation, created: bool, **kwargs) -> None:
    if not created:
        return
    endpoint = instance.endpoint
    job = instance.job
    payload = run_notice(
        endpoint=endpoint.name,
        invocation=instance.pk,
        job=job.name if job else None,
        status=job.status if job else f"Refused {instance.status_code}",
    )
    transaction.on_commit(partial(_send, {endpoint.created_by_id, instance.user_id}, payload))


@receiver(job_status_changed, dispatch_uid="endpoints.notifications.job")
def _job_status_changed(sender, job, **kwargs) -> None:
    if "source" not in job.get_deferred_fields() and job.source != "endpoint":
        return  # most jobs: no query
    rows = EndpointInvocation.objects.filter(job_id=job.pk).values_list(
        "pk", "endpoint__name", "endpoint__created_by_id", "user_id"
    )
    for pk, name, owner_id, user_id in rows:
        payload = run_notice(endpoint=name, invocation=pk, job=job.name, status=job.status)
        transaction.on_commit(partial(_send, {owner_id, user_id}, payload))
