"""Image names from YAML, rewritten by STUDIO_IMAGE_MAP so air-gapped sites can mirror them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.conf import settings

# Docker's reference grammar (distribution/reference): [domain[:port]/]path[:tag][@digest], the
# path in lower case; nothing else reaches an image build (`FROM`) or an engine call.
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_NAME = rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"
IMAGE_REFERENCE = re.compile(rf"(?P<name>{_NAME})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?")
NAME_MAX = 255


def image_reference_problem(image: str) -> str | None:
    """Why `image` is not a Docker image reference (`registry:5000/team/name:tag@sha256:…`), or None."""
    match = IMAGE_REFERENCE.fullmatch(image)
    if match is None:
        upper = image != image.lower() and IMAGE_REFERENCE.fullmatch(image.lower())
        hint = " (upper-case letters are not allowed in the repository)" if upper else ""
        return (
            f"{image!r} is not a Docker image reference such as python:3.11 or "
            f"registry.example.com:5000/team/image:tag{hint}"
        )
    if len(match["name"]) > NAME_MAX:
        return f"the repository name of {image[:40]!r}… is longer than {NAME_MAX} characters"
    return None


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
