"""Template context shared by every page."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from studio.roles import is_admin

NAVIGATION = [
    ("Designer", "designer:drafts", "designer"),
    ("Jobs", "runner:jobs", "jobs"),
    ("Endpoints", "endpoints:list", "endpoints"),
    ("Environments", "studio:environments", "environments"),
    ("Components", "studio:components", "components"),
    ("Data", "studio:data", "data"),
    ("Models", "studio:models", "models"),
    ("Datastores", "studio:datastores", "datastores"),
    ("Computes", "studio:computes", "computes"),
]
ADMIN_NAVIGATION = [("Audit log", "studio:audit", "audit")]  # shown to Admins only


def navigation(request: HttpRequest) -> dict:
    """The sidebar entries, with the one for the current page marked."""
    entries = []
    shown = [*NAVIGATION, *(ADMIN_NAVIGATION if is_admin(getattr(request, "user", None)) else [])]
    for label, url_name, icon in shown:
        url = reverse(url_name)
        entries.append({"label": label, "url": url, "icon": icon, "current": request.path.startswith(url)})
    return {"navigation": entries}
