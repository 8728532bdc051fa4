"""The sample gallery's action: a new draft from one of the sample pipelines (designer/samples.py)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from designer import actions
from designer.samples import sample
from studio.roles import check_can_write
from studio.schemas.loading import DefinitionError
from studio.views.assets import not_found


@require_POST
def from_sample(request, slug: str):
    """Import the sample `slug` as a new draft of the signed-in user and open its canvas."""
    check_can_write(request.user, "create a draft")
    chosen = sample(slug)
    if chosen is None:
        return not_found(
            request,
            f"There is no sample pipeline {slug!r}.",
            back_url=reverse("designer:drafts"),
            back_label="All drafts",
        )
    try:
        draft = actions.import_pipeline(chosen.text(), filename=chosen.filename, user=request.user)
    except DefinitionError as error:
        # The samples use the built-in library: this happens when it has not been seeded.
        messages.error(
            request,
            f"The sample {chosen.title} needs the built-in library (`studio manage seed_library`).",
        )
        for problem in error.problems[:5]:
            messages.error(request, str(problem))
        return redirect("designer:drafts")
    messages.success(request, f"Created {draft.name} from the sample {chosen.filename}.")
    return redirect("designer:canvas", draft_id=draft.pk)
