"""Web requests give their database connection back when they end, and a full pool answers 503.

Under ASGI (uvicorn) Django runs each request's sync code in a thread of its own
(asgiref's ThreadSensitiveContext), and connections are per thread: a persistent connection
(CONN_MAX_AGE) opened by a request is never used again, and stays open until the garbage
collector finds it (on PostgreSQL, 80 open at 50 requests/s, and the server's `max_connections`
reached with two web processes). So:

- `studio serve` takes PostgreSQL connections from Django's pool (settings: `STUDIO_DB_POOLED`,
  `STUDIO_DB_POOL_*`); Django's own `request_finished` handler gives the request's connection back.
  `PoolLimitMiddleware` takes it at the start of the request, so that a pool that stays empty for
  `STUDIO_DB_POOL_TIMEOUT_SECONDS` answers 503 with `Retry-After` (JSON under /api/, a page
  elsewhere) and a one-line warning, not a 500 with a traceback from wherever the first query was.
- Elsewhere (`studio up`, serve on SQLite or with the pool off), `close_request_connections`
  closes the request thread's connections when an ASGI request ends: that thread ends with the
  request, so nothing is lost by closing them.
"""

from __future__ import annotations

import logging

from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger("studio.requests")

RETRY_AFTER_SECONDS = 1
DETAIL = "The server is using all its database connections; try again in a moment."


def is_pool_timeout(error: BaseException) -> bool:
    """Whether `error` is Django's wrapping of psycopg_pool's PoolTimeout (no connection free in time)."""
    if not isinstance(error, OperationalError):
        return False
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    return isinstance(error.__cause__, PoolTimeout)


def pool_limit_response(request) -> HttpResponse:
    """503 with `Retry-After`: `{"detail", "errors": {}}` under /api/, a page elsewhere."""
    logger.warning("%s %s 503: no database connection free in the pool in time", request.method, request.path)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DETAIL, "errors": {}}, status=503)
    else:
        response = render(request, "503.html", {"detail": DETAIL}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response._has_been_logged = True  # the warning above; no second line from django.request
    return response


class PoolLimitMiddleware:
    """With a pool, take the request's connection first; none free in time: 503, not a 500."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        connection = connections[DEFAULT_DB_ALIAS]
        if getattr(connection, "pool", None) is not None:
            try:
                connection.ensure_connection()
            except OperationalError as error:
                if is_pool_timeout(error):
                    return pool_limit_response(request)
                raise
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_pool_timeout(exception):
            return pool_limit_response(request)
        return None


def close_request_connections(sender, **kwargs) -> None:
    """At the end of an ASGI request, close the connections its thread opened (see above)."""
    if not (isinstance(sender, type) and issubclass(sender, ASGIHandler)):
        return  # WSGI or the test client: threads (and test transactions) outlive the request
    for connection in connections.all(initialized_only=True):
        connection.close()


def close_connections_after_asgi_requests() -> None:
    """Connect `close_request_connections` (once) to `request_finished`."""
    request_finished.connect(close_request_connections, dispatch_uid="studio-close-request-connections")
