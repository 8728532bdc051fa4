"""Pages of the designer."""

from __future__ import annotations

from django.shortcuts import render


def drafts(request):
    """Pipeline drafts and the canvas to build a new one."""
    return render(request, "designer/drafts.html")
