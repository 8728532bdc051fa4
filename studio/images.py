"""Image names from YAML, rewritten by STUDIO_IMAGE_MAP so air-gapped sites can mirror them."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings


def split_image(image: str) -> tuple[str, str | None]:
    """`registry/repo:tag` as (`registry/repo`, `tag`); digests stay with the repository."""
    if "@" in image:
        return image, None
    head, _, last = image.rpartition("/")
    if ":" in last:
        name, _, tag = last.partition(":")
        return (f"{head}/{name}" if head else name), tag
    return image, None


def map_image(image: str, mapping: Mapping[str, str] | None = None) -> str:
    """The image to use for `image`, after STUDIO_IMAGE_MAP.

    A key matches the whole image, else its repository, else a registry or path prefix
    (`docker.io=mirror.local/hub`). A mapped value with a tag replaces the image outright
    (`python=studio/python:3.11-bookworm`); one without keeps the original tag
    (`docker.io/python=mirror.local/python`).
    """
    mapping = settings.STUDIO_IMAGE_MAP if mapping is None else mapping
    if not mapping:
        return image
    if image in mapping:
        return mapping[image]
    repository, tag = split_image(image)
    candidates = [repository]
    parts = repository.split("/")
    candidates += ["/".join(parts[:end]) for end in range(len(parts) - 1, 0, -1)]
    for key in candidates:
        if key not in mapping:
            continue
        target = mapping[key]
        target_repository, target_tag = split_image(target)
        if target_tag is not None or "@" in target:
            return target
        rest = repository[len(key) :]
        return f"{target_repository}{rest}" + (f":{tag}" if tag else "")
    return image
