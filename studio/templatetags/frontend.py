"""Template tags that include the Vite-built frontend bundle."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _read_manifest(path: Path, mtime: float) -> dict:
    # mtime is part of the cache key so a rebuilt bundle is picked up without a restart.
    return json.loads(path.read_text())


def load_manifest() -> dict | None:
    """Return Vite's build manifest, or None when the bundle has not been built."""
    path = Path(settings.FRONTEND_MANIFEST)
    try:
        return _read_manifest(path, path.stat().st_mtime)
    except FileNotFoundError:
        return None


@register.simple_tag
def frontend_entry(entry: str = "src/main.tsx") -> SafeString:
    """Render the script and stylesheet tags of one entry of the frontend bundle."""
    manifest = load_manifest()
    chunk = (manifest or {}).get(entry)
    if chunk is None:
        logger.warning("frontend bundle missing entry %s; run `make frontend`", entry)
        return mark_safe("<!-- frontend bundle not built: run `make frontend` -->")
    styles = format_html_join(
        "", '<link rel="stylesheet" href="{}">', ((static(f"dist/{css}"),) for css in chunk.get("css", []))
    )
    script = format_html('<script type="module" src="{}"></script>', static(f"dist/{chunk['file']}"))
    return styles + script
