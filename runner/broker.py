"""The Dramatiq broker: Redis in production, Dramatiq's in-process broker when embedded.

The database is the source of truth; the broker only carries wake-ups, so the in-process broker
losing its queue on restart loses nothing that the reconciler cannot repair.
"""

from __future__ import annotations

import logging

import dramatiq
from django.conf import settings
from django.db import close_old_connections
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware

logger = logging.getLogger(__name__)

_configured: dramatiq.Broker | None = None


class DatabaseConnections(Middleware):
    """Closes stale Django database connections around every message, as request handling does."""

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        close_old_connections()

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        close_old_connections()

    after_skip_message = after_process_message

    def before_worker_thread_shutdown(self, broker: dramatiq.Broker, thread) -> None:
        from django.db import connections

        connections.close_all()


def configure() -> dramatiq.Broker:
    """Create the broker for the current settings and make it Dramatiq's global broker."""
    global _configured
    if _configured is not None:
        return _configured
    if settings.REDIS_URL:
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(url=settings.REDIS_URL)
    else:
        broker = StubBroker()
    broker.add_middleware(DatabaseConnections())
    dramatiq.set_broker(broker)
    _configured = broker
    return broker


def is_embedded() -> bool:
    """Whether messages stay inside this process (no REDIS_URL)."""
    return not settings.REDIS_URL


class _SameWorkerMiddlewareTwice(logging.Filter):
    """Hides Dramatiq's warning about a second worker on one broker: each consumes its own queues."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "_WorkerMiddleware" not in record.getMessage()


class StoppableWorker(dramatiq.Worker):
    """A Dramatiq worker that takes no queue declared after it stopped. Dramatiq never removes a
    worker's middleware from the broker: a stopped worker would start a consumer for a queue
    declared later (a compute's queue, when another worker in this process runs now) and swallow
    its messages, with no thread left to run them."""

    def __init__(self, broker_: dramatiq.Broker, **options) -> None:
        super().__init__(broker_, **options)
        self.stopped = False

    def _add_consumer(self, queue_name: str, *, delay: bool = False) -> None:
        if not self.stopped:
            super()._add_consumer(queue_name, delay=delay)

    def stop(self, timeout: int = 600_000) -> None:
        self.stopped = True
        super().stop(timeout=timeout)


def start_worker(
    *,
    threads: int | None = None,
    queues: set[str] | None = None,
    worker_class: type[dramatiq.Worker] = StoppableWorker,
    **options,
) -> dramatiq.Worker:
    """Start worker threads consuming the configured broker in this process and return them.

    `worker_class` and `options`: another kind of worker (`runner.worker.StepWorker`) and its own
    arguments."""
    broker = configure()
    logging.getLogger(f"dramatiq.broker.{type(broker).__name__}").addFilter(_SameWorkerMiddlewareTwice())
    worker = worker_class(
        broker,
        queues=queues,
        worker_threads=threads or settings.STUDIO_WORKER_THREADS,
        worker_timeout=250,
        **options,
    )
    worker.start()
    logger.info(
        "worker started: %d threads on %s broker",
        worker.worker_threads,
        "in-process" if is_embedded() else "Redis",
    )
    return worker
