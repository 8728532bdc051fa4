"""{% base_image_build %}: the background build of the base image, on the computes page."""

from __future__ import annotations

import time

from django import template

from runner.base_image_build import read_state

register = template.Library()

# A finished build stays on the page this long; a failed one until the next build.
SHOWN_AFTER_SECONDS = 3600


@register.inclusion_tag("studio/_base_image_build.html")
def base_image_build() -> dict:
    """The last background build of this Studio home (nothing when none was started)."""
    state = read_state()
    if state is None:
        return {"build": None}
    running = state.running
    if state.status == "built" and time.time() - (state.finished_at or 0) > SHOWN_AFTER_SECONDS:
        return {"build": None}
    if state.status == "building" and not running:
        state.status, state.error = "failed", "the process building it stopped before it finished"
    return {"build": state, "running": running, "elapsed": f"{state.elapsed:.0f}"}
