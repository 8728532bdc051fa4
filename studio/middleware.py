"""Request middleware of the studio project."""

from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from rest_framework.views import APIView


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a logged-in user unless its view is marked `@login_not_required`.

    API views are left to Django REST framework, whose default permission (IsAuthenticated)
    also accepts bearer tokens, which this middleware runs too early to see; they answer 401/403
    instead of redirecting to the login page.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        if view_class is not None and issubclass(view_class, APIView):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
