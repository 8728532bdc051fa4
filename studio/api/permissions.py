"""REST permission classes of the roles (`studio.roles`). A refusal raises `AccessRefused`, which
the exception handler renders as a 403 with the reason; someone not signed in still gets 401."""

from __future__ import annotations

from rest_framework import permissions

from studio.roles import check_admin, check_can_change, check_can_write


def _unhandled(request, view) -> bool:
    """A method the view has no handler for: let the framework answer 405, not a refusal."""
    method = request.method.lower()
    return method not in view.http_method_names or getattr(view, method, None) is None


def _doing(request, view) -> str:
    action = getattr(view, "action", None) or request.method.lower()
    return f"{action.replace('_', ' ')} here ({request.method} {request.path})"


class ReadOnlyForViewers(permissions.BasePermission):
    """Every API view's default: signed in; a Viewer may only read (a view with
    `viewers_may_write = True`, such as one's own API tokens, lets them write too)."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS or getattr(view, "viewers_may_write", False):
            return True
        if _unhandled(request, view):
            return True
        check_can_write(request.user, _doing(request, view))
        return True


class AdminWrites(ReadOnlyForViewers):
    """Everyone signed in reads; only an Admin writes (computes, datastores, users)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method not in permissions.SAFE_METHODS and not _unhandled(request, view):
            check_admin(request.user, _doing(request, view))
        return True


class AdminOnly(permissions.BasePermission):
    """Only an Admin, even to read (other users' accounts)."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        check_admin(request.user, _doing(request, view))
        return True


class OwnerOrAdmin(ReadOnlyForViewers):
    """Everyone signed in reads an object; only its owner or an Admin changes it."""

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method not in permissions.SAFE_METHODS:
            check_can_change(request.user, obj, _doing(request, view))
        return True
