"""The endpoint page's runs list is live over the per-user notifications socket: a run recorded
(accepted or refused) and every status change of an endpoint's job reach the endpoint's owner and
the invoking user; other jobs send nothing."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from config.asgi import application
from runner.choices import JobStatus
from runner.models import PipelineJob
from tests.endpoints.pipelines import SPLIT_PIPELINE, publish

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/notifications/"


def session_of(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def socket_of(session: tuple[bytes, bytes]) -> WebsocketCommunicator:
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost"), session]
    return WebsocketCommunicator(application, PATH, headers=headers)


@pytest.fixture
def invoker(db):
    user = get_user_model().objects.create_user("grace", password="pw-for-tests-2")
    client = APIClient()
    client.force_authenticate(user)
    return user, client


def test_it_tells_the_owner_and_the_invoker_of_each_run_and_its_status_changes(api, user, invoker, seeded):
    publish(api)  # `user` owns the endpoint
    grace, as_grace = invoker
    sessions = session_of(user), session_of(grace)

    async def scenario():
        owner_socket, invoker_socket = socket_of(sessions[0]), socket_of(sessions[1])
        for socket in (owner_socket, invoker_socket):
            connected, _ = await socket.connect(timeout=10)
            assert connected
            assert (await socket.receive_json_from(timeout=5))["type"] == "hello"

        # When grace runs the endpoint
        post = sync_to_async(as_grace.post)
        ran = await post("/api/v1/endpoints/split-iris/runs", {}, format="json")
        assert ran.status_code == 201, ran.json()
        run_id = ran.json()["Id"]

        # Then both hear of the new run
        for socket in (owner_socket, invoker_socket):
            frame = await socket.receive_json_from(timeout=5)
            assert frame == {
                "type": "notification",
                "kind": "endpoint.run",
                "endpoint": "split-iris",
                "invocation": frame["invocation"],
                "job": run_id,
                "status": JobStatus.QUEUED,
            }

        # When its job changes status, both hear that too
        job = await sync_to_async(PipelineJob.objects.get)(name=run_id)
        assert await sync_to_async(job.transition)((JobStatus.QUEUED,), JobStatus.CANCELED)
        for socket in (owner_socket, invoker_socket):
            frame = await socket.receive_json_from(timeout=5)
            assert (frame["job"], frame["status"]) == (run_id, JobStatus.CANCELED)

        # And a refused call is news as well
        refused = await post("/api/v1/endpoints/split-iris/runs", {"Nope": 1}, format="json")
        assert refused.status_code == 400
        frame = await owner_socket.receive_json_from(timeout=5)
        assert (frame["job"], frame["status"]) == (None, "Refused 400")

        for socket in (owner_socket, invoker_socket):
            await socket.disconnect()

    async_to_sync(scenario)()


def test_a_job_that_is_not_an_endpoint_run_sends_nothing(api, user, seeded):
    publish(api)
    session = session_of(user)

    async def scenario():
        socket = socket_of(session)
        connected, _ = await socket.connect(timeout=10)
        assert connected
        await socket.receive_json_from(timeout=5)

        upload = SimpleUploadedFile("pipeline.yml", SPLIT_PIPELINE.encode())
        submitted = await sync_to_async(api.post)("/api/v1/jobs/", {"file": upload}, format="multipart")
        assert submitted.status_code == 201, submitted.json()
        job = await sync_to_async(PipelineJob.objects.get)(name=submitted.json()["name"])
        assert await sync_to_async(job.transition)((JobStatus.QUEUED,), JobStatus.CANCELED)

        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    async_to_sync(scenario)()
