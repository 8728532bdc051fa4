"""One error shape for every API failure: `{"detail": "...", "errors": {"field": ["..."]}}`.

A `StudioError` raised by a view (or by anything it calls) is rendered here, with its status; a
`ProblemsError` adds `"problems": [...]`. Views never build that body themselves.
"""

from __future__ import annotations

import logging
import traceback

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from studio.database_busy import busy_response, is_database_busy
from studio.errors import StudioError

logger = logging.getLogger(__name__)


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into `{"field.sub": ["message", ...]}`."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(errors, list) and errors and all(not isinstance(e, (dict, list)) for e in errors):
        flat[prefix or "non_field_errors"] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            name = f"{prefix}[{index}]" if prefix else f"[{index}]"
            for field, messages in _flatten(value, name).items():
                flat.setdefault(field, []).extend(messages)
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


def studio_error_body(error: StudioError) -> dict:
    """`{"detail", "errors"}` of a StudioError, plus its `problems` and other keys when it has them."""
    return {"detail": error.detail, "errors": error.errors_by_field(), **error.extra()}


def studio_error_response(error: StudioError, *, headers=None) -> Response:
    """A StudioError as an API response with its status."""
    return Response(studio_error_body(error), status=error.status, headers=headers)


def too_large_response() -> Response:
    """413 for a request body over STUDIO_MAX_REQUEST_BYTES (uploaded files do not count)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    size = f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"
    return Response(
        {
            "detail": f"the request body is larger than {size} (STUDIO_MAX_REQUEST_BYTES); send files "
            "as multipart uploads, which have their own limits",
            "errors": {},
            "limit_bytes": limit,
        },
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def _log_unhandled(exc: BaseException) -> None:
    if isinstance(exc, RecursionError):  # a thousand frames say no more than the last few
        frames = traceback.format_exception(exc, limit=-20)
        logger.error("unhandled API error (last 20 frames)\n%s", "".join(frames).rstrip())
        return
    logger.exception("unhandled API error", exc_info=exc)


def studio_exception_handler(exc, context):
    """Render every API error in Studio's shape; unexpected errors become a logged 500."""
    if isinstance(exc, RequestDataTooBig):
        return too_large_response()
    if isinstance(exc, SuspiciousOperation):  # too many form fields or files, and the like: refused input
        return Response({"detail": str(exc), "errors": {}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StudioError):
        if exc.status >= 500:
            logger.warning("%s answered %s: %s", context["request"].path, exc.status, exc.detail)
        set_rollback()
        return studio_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if is_database_busy(exc):
        return busy_response(context["request"])
    response = exception_handler(exc, context)
    if response is None:
        if isinstance(exc, (Http404, PermissionDenied)):
            return response
        _log_unhandled(exc)
        return Response(
            {"detail": "Internal error; the server log has the details.", "errors": {}},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(data)
        first = next(iter(errors.items()), None)
        detail = f"{first[0]}: {first[1][0]}" if first else "Invalid input."
        if len(errors) > 1:
            detail = f"Invalid input in {len(errors)} fields; first {detail}"
        response.data = {"detail": detail, "errors": errors}
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else str(data)
        response.data = {"detail": str(detail), "errors": {}}
    return response
