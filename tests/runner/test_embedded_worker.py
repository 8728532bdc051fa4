"""The embedded worker: Dramatiq's in-process broker with worker threads in this process."""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from runner import broker as studio_broker
from runner.actors import check_compute
from studio.choices import ComputeKind, ComputeState
from studio.models import Compute


def test_it_uses_the_in_process_broker_without_redis_url():
    assert studio_broker.is_embedded()
    assert isinstance(dramatiq.get_broker(), StubBroker)
    assert check_compute.broker is dramatiq.get_broker()


@pytest.mark.django_db(transaction=True)
def test_it_processes_a_message_in_worker_threads():
    # Given a compute nobody has checked yet
    compute = Compute.objects.create(name="local", kind=ComputeKind.LOCAL)
    assert compute.checked_at is None
    worker = studio_broker.start_worker(threads=2)
    try:
        # When a message is sent to the actor
        check_compute.send(compute.pk)
        dramatiq.get_broker().join(check_compute.queue_name, fail_fast=True, timeout=20_000)
        worker.join()
    finally:
        worker.stop()
    # Then a worker thread ran it against the database
    compute.refresh_from_db()
    assert compute.state == ComputeState.ONLINE
    assert compute.checked_at is not None


@pytest.mark.django_db(transaction=True)
def test_it_ignores_a_message_for_a_compute_that_no_longer_exists():
    worker = studio_broker.start_worker(threads=1)
    try:
        check_compute.send(987654)
        dramatiq.get_broker().join(check_compute.queue_name, fail_fast=True, timeout=20_000)
        worker.join()
    finally:
        worker.stop()
    assert not Compute.objects.filter(pk=987654).exists()
