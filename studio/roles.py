"""Who may do what: three roles and ownership.

- **Admin**: a superuser. Users, computes, datastores, settings, everything.
- **Member**: any other active user not in the "viewer" group. Registers assets, creates drafts,
  submits jobs, publishes endpoints, and changes what they own.
- **Viewer**: a user in the auth group "viewer". Reads everything, changes nothing (except their
  own API tokens, so the CLI can read too).

A job, draft, endpoint and endpoint key belongs to its creator (`created_by`); only the owner or an
Admin may change it. Something without a creator (made before accounts, or by an endpoint key)
belongs to nobody: only an Admin may change it. Each refusal is an `AccessRefused` (403) that says
why; pages, REST, websockets and the CLI show that same reason.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from studio.errors import StudioError

ADMIN = "admin"
MEMBER = "member"
VIEWER = "viewer"
ROLES = (ADMIN, MEMBER, VIEWER)
VIEWER_GROUP = "viewer"


class AccessRefused(StudioError):
    """The signed-in user may not do this; the message says why."""

    status = 403


def role_of(user) -> str | None:
    """The user's role; None for someone not signed in (or deactivated)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    cached = getattr(user, "_studio_role", None)
    if cached is None:
        cached = VIEWER if user.groups.filter(name=VIEWER_GROUP).exists() else MEMBER
        user._studio_role = cached
    return cached


def is_admin(user) -> bool:
    return role_of(user) == ADMIN


@transaction.atomic
def set_role(user, role: str, *, by=None, audit: bool = True) -> None:
    """Make `user` an Admin (superuser and staff), a Member or a Viewer (neither; in the viewer group).
    A change of role goes in the audit log (user.role, done `by` that user) unless `audit` is False."""
    from studio import audit as audit_log

    if role not in ROLES:
        raise StudioError(f"a role is one of {', '.join(ROLES)}, not {role!r}", field="role")
    before = role_of(user) if user.pk is not None else None
    user.is_superuser = user.is_staff = role == ADMIN
    user.save(update_fields=["is_superuser", "is_staff"])
    group, _ = Group.objects.get_or_create(name=VIEWER_GROUP)
    if role == VIEWER:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    user._studio_role = role
    if audit and before != role:
        audit_log.record(by, "user.role", user, role=role, previous=before)


def check_can_write(user, doing: str = "change anything") -> None:
    """Refuse a Viewer (or someone not signed in) anything that changes Studio."""
    role = role_of(user)
    if role is None:
        raise AccessRefused(f"sign in to {doing}")
    if role == VIEWER:
        raise AccessRefused(f"a Viewer can read everything but not {doing}; ask an Admin for the Member role")


def check_admin(user, doing: str) -> None:
    """Refuse anyone but an Admin."""
    if not is_admin(user):
        raise AccessRefused(f"only an Admin can {doing}")


def owner_of(obj):
    """Who `obj` belongs to: its `created_by` (None: nobody)."""
    return getattr(obj, "created_by", None)


def can_change(user, obj) -> bool:
    """Whether `user` may change `obj`: an Admin always; a Member when they created it."""
    role = role_of(user)
    if role == ADMIN:
        return True
    if role != MEMBER:
        return False
    owner_id = getattr(obj, "created_by_id", None)
    return owner_id is not None and owner_id == user.pk


def check_can_change(user, obj, doing: str) -> None:
    """Refuse `doing` to `obj` unless `user` may change it (`doing`: e.g. "cancel job x")."""
    check_can_write(user, doing)
    if can_change(user, obj):
        return
    owner = owner_of(obj)
    whose = f"it belongs to {owner.get_username()}" if owner is not None else "it belongs to nobody"
    raise AccessRefused(f"only its owner or an Admin can {doing}: {whose}")
