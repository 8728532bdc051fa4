"""/favicon.ico: browsers ask for it on pages that name no icon (Django's admin); it is Studio's logo."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
def favicon(request):
    """Send the browser on to the logo among the static files (public, like every static file)."""
    return HttpResponsePermanentRedirect(static("img/logo.svg"))
