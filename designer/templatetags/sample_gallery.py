"""`{% sample_gallery %}`: the cards of the sample pipelines a new draft can start from."""

from __future__ import annotations

from django import template

from designer.samples import samples
from studio.roles import ADMIN, MEMBER, role_of

register = template.Library()


@register.inclusion_tag("designer/_sample_gallery.html", takes_context=True)
def sample_gallery(context) -> dict:
    """The gallery, for someone who may create drafts (a Viewer sees none)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    may_create = role_of(user) in (ADMIN, MEMBER)
    return {"samples": samples() if may_create else (), "csrf_token": context.get("csrf_token")}
