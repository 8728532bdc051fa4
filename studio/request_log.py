"""One log line per refused request; tracebacks only for real server errors.

Django logs every 4xx as "Bad Request: /path" (no method, no reason), and some with the traceback
of the exception that refused them: a 1 KB request could write hundreds of kilobytes of log.
`RefusalLogMiddleware` logs a refusal as one line, `METHOD /path STATUS: reason` (the `detail` of
an API error), and `OneLineRefusals` drops the traceback of any other 4xx record Django logs.
Server errors (5xx) keep theirs.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("studio.requests")

MAX_REASON_CHARS = 300


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text` on one line (newlines and control characters escaped), at most `limit` characters."""
    flat = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def reason_of(response) -> str:
    """What an API error's body says (`detail`), or the status's reason phrase."""
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("detail"):
        return str(data["detail"])
    return response.reason_phrase


class RefusalLogMiddleware:
    """Logs each 4xx answer once, as `METHOD /path STATUS: reason`, instead of Django's line."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if 400 <= response.status_code < 500 and not getattr(response, "_has_been_logged", False):
            logger.warning(
                "%s %s %s: %s",
                request.method,
                one_line(request.path, 200),
                response.status_code,
                one_line(reason_of(response)),
            )
            response._has_been_logged = True  # Django's own line (django.request) is then left out
        return response


class OneLineRefusals(logging.Filter):
    """Drops the traceback of a record about a 4xx answer (`status_code` below 500)."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
