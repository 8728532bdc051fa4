"""A busy database answers 503 with `Retry-After`, never 500.

SQLite lets one connection write at a time. The others wait for it up to the busy timeout
(`DATABASES["default"]["OPTIONS"]["timeout"]`, set in settings) and then fail with
`OperationalError: database is locked`. That is no fault of the request, and nothing is wrong
with the server: the client should simply try again. The API's exception handler
(`studio.api.errors`) and, for the pages, `DatabaseBusyMiddleware` answer such an error with
503 and `Retry-After: 1` — JSON in the API's error shape under /api/, a short page elsewhere.
"""

from __future__ import annotations

import logging
import re

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1
DETAIL = "The database is busy with another change; try again in a moment."
# SQLITE_BUSY ("database is locked") and SQLITE_LOCKED ("database table is locked") as Python's
# sqlite3 words them, and "busy" as other drivers may.
BUSY = re.compile(r"\bdatabase (?:table |schema )?is (?:locked|busy)\b", re.IGNORECASE)


def is_database_busy(error: BaseException) -> bool:
    """Whether `error` says another connection holds the database (or a table of it) locked."""
    return isinstance(error, OperationalError) and BUSY.search(str(error)) is not None


def busy_response(request) -> HttpResponse:
    """503 with `Retry-After`: `{"detail", "errors": {}}` under /api/, a page elsewhere."""
    logger.warning("%s %s: %s", request.method, request.path, "the database was busy; answered 503")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DETAIL, "errors": {}}, status=503)
    else:
        response = render(request, "503.html", {"detail": DETAIL}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """Pages (and any view outside Django REST framework) whose database was busy answer 503."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_busy(exception):
            return busy_response(request)
        return None
