"""A compute's health check runs on a worker that serves it, never in the web process (unless
embedded): where it is sent, what the API, the page and the CLI say, and which threads take it.
The in-process broker stands in for Redis; `settings.REDIS_URL` set makes the process non-embedded."""

from __future__ import annotations

import dramatiq
import pytest
from django.utils import timezone

from runner import actors, presence, serving
from runner.computes import request_check
from runner.queues import CONTROL_QUEUE, check_queue, compute_of_check_queue
from runner.worker import ControlWorker
from runner.worker_models import WorkerPresence
from studio.choices import ComputeKind, ComputeState
from studio.models import Compute
from tests import factories

API = "/api/v1/computes"
# Nothing listens on port 1: a probe from this process would record Offline.
UNREACHABLE = "tcp://127.0.0.1:1"


@pytest.fixture
def far(db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # not embedded: checks go to workers
    compute = Compute.objects.create(name="far", kind=ComputeKind.DOCKER, engine_url=UNREACHABLE)
    broker = dramatiq.get_broker()
    for queue in (check_queue("far"), CONTROL_QUEUE):
        broker.declare_queue(queue)
        broker.flush(queue)
    yield compute
    for queue in (check_queue("far"), CONTROL_QUEUE):
        broker.flush(queue)


def announce(*computes: str, host: str = "engine-host", stopping: bool = False) -> WorkerPresence:
    return WorkerPresence.objects.create(
        worker_id=f"{host}:1:{'-'.join(computes)}",
        host=host,
        pid=1,
        computes=list(computes),
        threads=2,
        version="test",
        stopping=stopping,
        heartbeat_at=timezone.now(),
    )


def queued(queue: str) -> list[dramatiq.Message]:
    broker = dramatiq.get_broker()
    return [dramatiq.Message.decode(data) for data in list(broker.queues[queue].queue)]


def test_check_queues_name_their_compute():
    assert check_queue("gpu-1") == "studio.checks.gpu-1"
    assert compute_of_check_queue("studio.checks.gpu-1") == "gpu-1"
    assert compute_of_check_queue("studio.steps.gpu-1") is None and compute_of_check_queue("studio") is None
    with pytest.raises(ValueError):
        check_queue("")


def test_with_no_live_worker_serving_it_nothing_is_probed_and_the_answer_says_what_to_start(far):
    announce("other")
    announce("far", host="leaving", stopping=True)  # a stopping worker takes no new message
    asked = request_check(far)
    assert not asked.checked and not asked.requested
    assert asked.message == "No worker serves far: start `studio worker --compute far`"
    far.refresh_from_db()
    assert far.state == ComputeState.UNKNOWN and far.checked_at is None  # no false Offline
    assert queued(check_queue("far")) == []

    admin = factories.api_client(factories.make_user("root-admin", admin=True))
    answer = admin.post(f"{API}/far/check/")
    assert answer.status_code == 409
    assert answer.json()["detail"] == "No worker serves far: start `studio worker --compute far`"


def test_a_check_goes_to_the_compute_check_queue_and_the_web_never_probes(far):
    announce("far")
    admin = factories.api_client(factories.make_user("root-admin", admin=True))
    answer = admin.post(f"{API}/far/check/")
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["check"]["requested"] and not body["check"]["checked"]
    assert body["check"]["workers"] == ["engine-host:1:far"]
    assert "requested from its worker on engine-host" in body["check"]["message"]
    assert body["state"] == "unknown"  # the web process did not probe the unreachable engine
    sent = queued(check_queue("far"))
    assert [(m.actor_name, m.args) for m in sent] == [("check_compute", (far.pk,))]
    assert queued(CONTROL_QUEUE) == []  # not a control message any worker might take


def test_create_asks_a_worker_and_says_so(far):
    announce("far", "near")
    admin = factories.api_client(factories.make_user("root-admin", admin=True))
    created = admin.post(
        f"{API}/", {"name": "near", "kind": "docker", "engine_url": "tcp://127.0.0.1:2"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["state"] == "unknown" and created.json()["check"]["requested"]
    assert len(queued(check_queue("near"))) == 1
    dramatiq.get_broker().flush(check_queue("near"))
    alone = admin.post(
        f"{API}/", {"name": "alone", "kind": "docker", "engine_url": UNREACHABLE}, format="json"
    )
    assert alone.status_code == 201  # registering before starting its worker is the normal order
    assert alone.json()["check"]["message"].startswith("No worker serves alone: start")


def test_the_page_waits_for_the_worker_answer_then_shows_it(far, client):
    announce("far")
    client.force_login(factories.make_user("root-admin", admin=True))
    asked = client.post("/computes/far/check/", follow=True)
    page = asked.content.decode()
    assert "requested from its worker on engine-host" in page
    assert '<meta http-equiv="refresh" content="2">' in page  # reloads until the answer lands
    assert "this page updates when it answers" in page

    far.record_health(ComputeState.ONLINE, "Docker 26.1, 4 CPUs", {"ncpu": 4})  # the worker's answer
    page = client.get("/computes/far/").content.decode()
    assert "Checked far: Online: Docker 26.1, 4 CPUs" in page
    assert 'http-equiv="refresh"' not in page
    assert 'http-equiv="refresh"' not in client.get("/computes/far/").content.decode()


def test_embedded_the_check_runs_inline(db, settings):
    settings.REDIS_URL = ""
    compute = Compute.objects.create(name="far", kind=ComputeKind.DOCKER, engine_url=UNREACHABLE)
    asked = request_check(compute)
    assert asked.checked and compute.state == ComputeState.OFFLINE  # probed here, this process's view
    assert asked.message.startswith("Checked far: Offline")


def test_control_threads_take_the_check_queues_of_the_computes_served_only(db):
    Compute.objects.create(name="near", kind=ComputeKind.DOCKER, engine_url=UNREACHABLE)
    Compute.objects.create(name="far", kind=ComputeKind.DOCKER, engine_url=UNREACHABLE)
    only_far = serving.Serving(mode=serving.NAMED, requested=("far",))
    only_far.refresh()
    worker = ControlWorker(dramatiq.get_broker(), serving=only_far, worker_threads=1)
    assert worker.wants(CONTROL_QUEUE) and worker.wants("studio.checks.far")
    assert not worker.wants("studio.checks.near") and not worker.wants("studio.steps.far")
    worker.stopped = True
    assert not worker.wants("studio.checks.far")


def test_a_check_message_for_a_compute_not_served_here_goes_to_its_queue(far, monkeypatch):
    only_other = serving.Serving(mode=serving.NAMED, requested=())
    monkeypatch.setattr(serving, "_current", only_other)
    actors.check_compute.fn(far.pk)  # e.g. sent to the control queue by an older web process
    far.refresh_from_db()
    assert far.checked_at is None  # not probed from this host
    assert [m.args for m in queued(check_queue("far"))] == [(far.pk,)]
    monkeypatch.setattr(
        serving, "_current", serving.Serving(mode=serving.NAMED, requested=("far",), names={"far"})
    )
    actors.check_compute.fn(far.pk)
    far.refresh_from_db()
    assert far.state == ComputeState.OFFLINE and far.checked_at is not None  # served here: probed here


def test_live_workers_of_a_compute_are_what_routing_counts(far):
    assert presence.workers_of(far) == []
    row = announce("far")
    assert presence.workers_of(far) == [row]
