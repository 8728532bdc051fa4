"""Template filters of the roles: show a button only to someone who may use it.

`{% load roles %}` then `{% if user|may_change:job %}`, `{% if user|may_write %}`,
`{% if user|is_admin %}`. The views refuse the action anyway; hiding is only courtesy.
"""

from __future__ import annotations

from django import template

from studio import roles

register = template.Library()


@register.filter
def may_change(user, obj) -> bool:
    """Whether `user` may change `obj` (its owner or an Admin)."""
    return roles.can_change(user, obj)


@register.filter
def may_write(user) -> bool:
    """Whether `user` may create things (a Member or an Admin, not a Viewer)."""
    return roles.role_of(user) in (roles.ADMIN, roles.MEMBER)


@register.filter
def is_admin(user) -> bool:
    """Whether `user` is an Admin."""
    return roles.is_admin(user)
