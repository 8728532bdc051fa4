"""Watching a job's containers on the Docker engine: which exist, which started, which are gone."""

from __future__ import annotations

import threading
import time

import docker


class ContainerEvents:
    """Records every `create` event of a Studio step container while it is active.

    Containers are removed when a step ends, so counting them afterwards proves nothing: the
    engine's event stream is what shows whether one was ever started for a job.
    """

    def __init__(self) -> None:
        self.client = docker.from_env()
        self.created: list[dict[str, str]] = []
        self._stream = self.client.api.events(
            decode=True, filters={"type": "container", "event": "create", "label": "studio.job"}
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in self._stream:
                self.created.append(dict((event.get("Actor") or {}).get("Attributes") or {}))
        except Exception:  # the stream is closed under us when the test ends
            return

    def count(self, job: str, step: str | None = None) -> int:
        """How many containers were created for a job (or one of its steps)."""
        time.sleep(0.3)  # let events already sent by the engine arrive
        return sum(
            1
            for labels in list(self.created)
            if labels.get("studio.job") == job and (step is None or labels.get("studio.step") == step)
        )

    def close(self) -> None:
        self._stream.close()
        self.client.close()


def containers_of(job: str, **labels: str) -> list:
    """Containers (running or not) of a job still on the engine."""
    client = docker.from_env()
    try:
        filters = [f"studio.job={job}", *(f"studio.{k}={v}" for k, v in labels.items())]
        return client.containers.list(all=True, filters={"label": filters})
    finally:
        client.close()


def containers_gone(job: str, *, within: float, **labels: str) -> bool:
    """Whether the job's containers are all removed, waiting up to `within` seconds.

    A step is marked ended just before its container is removed, so allow a moment.
    """
    deadline = time.monotonic() + within
    while containers_of(job, **labels):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
