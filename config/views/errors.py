"""Error pages: JSON in Studio's error shape under /api/, friendly pages elsewhere."""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.http import JsonResponse
from django.shortcuts import render

from studio.api.errors import studio_error_body
from studio.errors import ProblemsError, StudioError

logger = logging.getLogger(__name__)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404: nothing at this address."""
    if _wants_json(request):
        return JsonResponse(studio_error_body(StudioError(f"Nothing at {request.path}.")), status=404)
    return render(request, "404.html", {"path": request.path}, status=404)


def server_error(request):
    """500: an unexpected error; the details are in the server log, never on the page."""
    if _wants_json(request):
        return JsonResponse(
            {"detail": "Internal error; the server log has the details.", "errors": {}}, status=500
        )
    return render(request, "500.html", status=500)


def studio_error(request, error: StudioError):
    """A StudioError a page (or a view outside the REST framework) raised, with its status: the
    API's error body under /api/, `error.html` with the detail and every problem elsewhere."""
    if error.status >= 500:
        logger.warning("%s %s answered %s: %s", request.method, request.path, error.status, error.detail)
    if _wants_json(request):
        return JsonResponse(studio_error_body(error), status=error.status)
    try:
        title = HTTPStatus(error.status).phrase
    except ValueError:
        title = "Error"
    context = {
        "title": title,
        "detail": error.detail,
        "problems": [str(problem) for problem in error.problems] if isinstance(error, ProblemsError) else [],
    }
    return render(request, "error.html", context, status=error.status)
