"""Error pages: JSON in Studio's error shape under /api/, friendly pages elsewhere."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404: nothing at this address."""
    if _wants_json(request):
        return JsonResponse({"detail": f"Nothing at {request.path}.", "errors": {}}, status=404)
    return render(request, "404.html", {"path": request.path}, status=404)


def server_error(request):
    """500: an unexpected error; the details are in the server log, never on the page."""
    if _wants_json(request):
        return JsonResponse(
            {"detail": "Internal error; the server log has the details.", "errors": {}}, status=500
        )
    return render(request, "500.html", status=500)
