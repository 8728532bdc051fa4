"""Pages of the asset registry: lists, detail pages, code files, diffs and data previews."""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.paginator import Paginator
from django.db.models import Count, Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import register_converter, reverse
from django.urls.converters import get_converters
from django.utils.http import content_disposition_header

from studio.images import map_image
from studio.models import Component, DataAsset, Environment
from studio.registry import export_asset
from studio.storage.layout import StorageError, snapshot_path
from studio.storage.reading import read_snapshot_file, snapshot_files

PAGE_SIZE = 25
MAX_TAG_VALUES = 50
MAX_CODE_BYTES = 1_000_000
MAX_PREVIEW_BYTES = 256 * 1024
MAX_IMAGE_BYTES = 10 * 1024 * 1024
PREVIEW_ROWS = 20
PREVIEW_LINES = 50
HIDDEN_TAGS = frozenset({"anonymous"})
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t"}


class AssetNameConverter:
    """An asset name or version in a page URL: letters, digits, '.', '-', '_'."""

    regex = r"[A-Za-z0-9][A-Za-z0-9_.-]*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


if "asset_name" not in get_converters():
    register_converter(AssetNameConverter, "asset_name")


@dataclass(frozen=True)
class AssetKind:
    """What differs between the pages of environments, components and data assets."""

    model: type
    title: str
    noun: str
    cli_noun: str
    list_url: str
    detail_url: str
    version_url: str
    api_export_url: str


ENVIRONMENTS = AssetKind(
    Environment,
    "Environments",
    "environment",
    "environment",
    "studio:environments",
    "studio:environment",
    "studio:environment-version",
    "studio-api:environment-export",
)
COMPONENTS = AssetKind(
    Component,
    "Components",
    "component",
    "component",
    "studio:components",
    "studio:component",
    "studio:component-version",
    "studio-api:component-export",
)
DATA = AssetKind(
    DataAsset,
    "Data",
    "data asset",
    "data",
    "studio:data",
    "studio:data-asset",
    "studio:data-version",
    "studio-api:data-asset-export",
)


# --- Lists --------------------------------------------------------------------------------------


def _tag_choices(assets) -> list[tuple[str, list[str]]]:
    """(key, sorted values) of every tag the assets carry, for the tag filter."""
    found: dict[str, set[str]] = {}
    for tags in assets.values_list("tags", flat=True).iterator():
        for key, value in (tags or {}).items():
            if key in HIDDEN_TAGS:
                continue
            values = found.setdefault(str(key), set())
            if len(values) < MAX_TAG_VALUES:
                values.add(str(value))
    return [(key, sorted(values, key=str.lower)) for key, values in sorted(found.items())]


def _filter_by_tag(assets, tag: str):
    """Assets whose tag `key` equals `value`, for `tag=key:value` (or that have `key`, for `tag=key`)."""
    key, separator, value = tag.partition(":")
    # Cast: an exact lookup on the bare transform would compare with a JSON-encoded value.
    annotated = assets.annotate(_tag_value=Cast(KeyTextTransform(key, "tags"), TextField()))
    if separator:
        return annotated.filter(_tag_value=value)
    return annotated.filter(_tag_value__isnull=False)


def _asset_list(request, kind: AssetKind):
    """One row per asset name, with its latest version, filtered, searched and paginated."""
    query = request.GET.get("q", "").strip()
    tag = request.GET.get("tag", "").strip()
    show_archived = request.GET.get("archived") == "1"
    assets = kind.model.objects.all() if show_archived else kind.model.objects.visible()
    matching = assets
    if query:
        matching = matching.filter(
            Q(name__icontains=query) | Q(description__icontains=query) | _extra_search(kind, query)
        )
    if tag:
        matching = _filter_by_tag(matching, tag)
    names = matching.values_list("name", flat=True).distinct().order_by("name")
    page = Paginator(names, PAGE_SIZE).get_page(request.GET.get("page"))
    page_names = list(page.object_list)
    latest: dict[str, object] = {}
    for asset in (
        assets.filter(name__in=page_names).select_related("created_by").order_by("name", "-created_at", "-pk")
    ):
        latest.setdefault(asset.name, asset)
    counts = dict(
        assets.filter(name__in=page_names).values_list("name").annotate(count=Count("pk")).order_by()
    )
    rows = [{"asset": latest[name], "versions": counts.get(name, 0)} for name in page_names if name in latest]
    return render(
        request,
        "studio/asset_list.html",
        {
            "kind": kind,
            "title": kind.title,
            "rows": rows,
            "page": page,
            "query": query,
            "tag": tag,
            "tag_choices": _tag_choices(assets),
            "show_archived": show_archived,
            "filtered": bool(query or tag),
            "is_components": kind is COMPONENTS,
        },
    )


def _extra_search(kind: AssetKind, query: str) -> Q:
    """Fields searched besides name and description: a component's display name."""
    if kind is COMPONENTS:
        return Q(display_name__icontains=query)
    return Q(pk__in=[])


def environments(request):
    """Browse environments."""
    return _asset_list(request, ENVIRONMENTS)


def components(request):
    """Browse components."""
    return _asset_list(request, COMPONENTS)


def data_assets(request):
    """Browse data assets."""
    return _asset_list(request, DATA)


# --- Detail pages -------------------------------------------------------------------------------


def not_found(request, message: str, *, back_url: str = "", back_label: str = ""):
    """A friendly 404 page inside the studio shell."""
    return render(
        request,
        "studio/not_found.html",
        {"message": message, "back_url": back_url, "back_label": back_label},
        status=404,
    )


def _find(kind: AssetKind, name: str, version: str | None):
    """The asset version (latest visible, else latest of any state, when `version` is None), or None."""
    objects = kind.model.objects.select_related("created_by")
    if version is not None:
        return objects.filter(name=name, version=version).first()
    return objects.latest_of(name) or objects.filter(name=name).order_by("-created_at", "-pk").first()


def _missing(request, kind: AssetKind, name: str, version: str | None):
    what = f"{kind.noun} {name}" + (f" version {version}" if version else "")
    return not_found(
        request,
        f"There is no {what}.",
        back_url=reverse(kind.list_url),
        back_label=f"All {kind.title.lower()}",
    )


def _asset_context(kind: AssetKind, asset) -> dict:
    """What every detail page shows: versions, the exported definition and its API link."""
    versions = list(asset.versions().select_related("created_by"))
    return {
        "kind": kind,
        "asset": asset,
        "versions": versions,
        "exported": export_asset(asset),
        "export_url": reverse(kind.api_export_url, kwargs={"name": asset.name, "version": asset.version}),
        "version_url_name": kind.version_url,
        "latest_pk": next((version.pk for version in versions if not version.archived), None),
        "list_url": reverse(kind.list_url),
    }


def _files(digest: str) -> tuple[list[tuple[str, int]], str]:
    """The files of a snapshot and, when it cannot be read, why."""
    if not digest:
        return [], ""
    try:
        return snapshot_files(digest), ""
    except StorageError as error:
        return [], str(error)


def environment_detail(request, name: str, version: str | None = None):
    """An environment version: image, build context, dependencies and variables."""
    environment = _find(ENVIRONMENTS, name, version)
    if environment is None:
        return _missing(request, ENVIRONMENTS, name, version)
    spec = environment.spec
    image = spec.get("image") or ""
    build = spec.get("build") or None
    build_files, build_error = _files(build["context"]) if build else ([], "")
    conda = spec.get("conda") or None
    conda_packages, pip_packages = _conda_packages(conda)
    variables = [(key, value, "environment") for key, value in sorted((spec.get("variables") or {}).items())]
    if isinstance(conda, dict):
        variables += [(key, value, "conda") for key, value in sorted((conda.get("variables") or {}).items())]
    return render(
        request,
        "studio/environment_detail.html",
        {
            **_asset_context(ENVIRONMENTS, environment),
            "image": image,
            "mapped_image": map_image(image) if image else "",
            "image_builds": environment.images.order_by("target"),
            "build": build,
            "build_files": build_files,
            "build_error": build_error,
            "conda": conda,
            "conda_channels": (conda.get("channels") or []) if isinstance(conda, dict) else [],
            "conda_packages": conda_packages,
            "pip_packages": pip_packages,
            "variables": variables,
            "dockerfile": spec.get("dockerfile") or "",
            "used_by": environment.components.order_by("name", "-created_at")[:50],
        },
    )


def _conda_packages(conda) -> tuple[list[str], list[str]]:
    """The conda and pip packages of a conda specification."""
    conda_packages: list[str] = []
    pip_packages: list[str] = []
    if not isinstance(conda, dict):
        return conda_packages, pip_packages
    for dependency in conda.get("dependencies") or []:
        if isinstance(dependency, dict):
            pip_packages += [str(item) for item in dependency.get("pip") or []]
        else:
            conda_packages.append(str(dependency))
    return conda_packages, pip_packages


def component_detail(request, name: str, version: str | None = None):
    """A component version: typed ports, command, environment, code files and a diff form."""
    component = _find(COMPONENTS, name, version)
    if component is None:
        return _missing(request, COMPONENTS, name, version)
    context = _asset_context(COMPONENTS, component)
    code_files, code_error = _files(component.code_digest)
    versions = context["versions"]
    previous = next(
        (older for newer, older in zip(versions, versions[1:], strict=False) if newer.pk == component.pk),
        None,
    )
    return render(
        request,
        "studio/component_detail.html",
        {
            **context,
            "inputs": sorted_ports(component.inputs),
            "outputs": sorted_ports(component.outputs),
            "code_files": code_files,
            "code_error": code_error,
            "diff_a": (previous or component).version,
            "diff_b": component.version,
        },
    )


def sorted_ports(ports: dict) -> list[tuple[str, dict]]:
    """Ports in declaration order, as (name, port)."""
    return list((ports or {}).items())


def _safe_path(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(part not in ("", ".", "..") for part in parts)


def component_code(request, name: str, version: str, path: str):
    """One file of a component's code snapshot, as text."""
    component = _find(COMPONENTS, name, version)
    if component is None:
        return _missing(request, COMPONENTS, name, version)
    detail_url = reverse("studio:component-version", kwargs={"name": name, "version": version})
    files, _ = _files(component.code_digest)
    sizes = dict(files)
    if not _safe_path(path) or path not in sizes:
        return not_found(
            request,
            f"{name}:{version} has no code file {path}.",
            back_url=detail_url,
            back_label=f"Back to {name}:{version}",
        )
    text, problem = "", ""
    if sizes[path] > MAX_CODE_BYTES:
        problem = f"This file is {sizes[path]:,} bytes, too large to show here (the limit is 1 MB)."
    else:
        try:
            text = read_snapshot_file(component.code_digest, path, max_bytes=MAX_CODE_BYTES).decode()
        except UnicodeDecodeError:
            problem = "This is a binary file; it is not shown."
        except StorageError as error:
            problem = str(error)
    return render(
        request,
        "studio/component_code.html",
        {
            "component": component,
            "path": path,
            "size": sizes[path],
            "text": text,
            "line_count": text.count("\n") + (0 if text.endswith("\n") or not text else 1),
            "problem": problem,
            "files": files,
            "detail_url": detail_url,
        },
    )


def component_diff(request, name: str):
    """A unified diff of two versions' exported definitions (?a=VERSION&b=VERSION)."""
    versions = list(Component.objects.filter(name=name).order_by("-created_at", "-pk"))
    if not versions:
        return _missing(request, COMPONENTS, name, None)
    by_version = {component.version: component for component in versions}
    default_b = versions[0]
    default_a = versions[1] if len(versions) > 1 else versions[0]
    a_version = request.GET.get("a") or default_a.version
    b_version = request.GET.get("b") or default_b.version
    for wanted in (a_version, b_version):
        if wanted not in by_version:
            return _missing(request, COMPONENTS, name, wanted)
    a, b = by_version[a_version], by_version[b_version]
    lines = list(
        difflib.unified_diff(
            export_asset(a).splitlines(),
            export_asset(b).splitlines(),
            fromfile=f"{name}:{a.version}",
            tofile=f"{name}:{b.version}",
            lineterm="",
        )
    )
    return render(
        request,
        "studio/component_diff.html",
        {
            "name": name,
            "versions": versions,
            "a": a,
            "b": b,
            "diff": [(_diff_class(line), line) for line in lines],
            "added": sum(1 for line in lines if line.startswith("+") and not line.startswith("+++")),
            "removed": sum(1 for line in lines if line.startswith("-") and not line.startswith("---")),
            "latest": versions[0],
        },
    )


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "meta"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "same"


# --- Data ---------------------------------------------------------------------------------------


def _preview_kind(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in TABLE_DELIMITERS:
        return "table"
    if suffix in IMAGE_TYPES:
        return "image"
    return "text"


def _default_preview(files: list[tuple[str, int]]) -> str:
    """The file previewed when none is chosen: the first table, else the first image, else the first."""
    for wanted in ("table", "image"):
        for path, _ in files:
            if _preview_kind(path) == wanted:
                return path
    return files[0][0] if files else ""


def _read_head(digest: str, path: str, size: int, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes from the start of a snapshot file, and whether it was cut."""
    if size <= limit:
        return read_snapshot_file(digest, path, max_bytes=limit), False
    # read_snapshot_file refuses files over its limit; the path was checked against the listing.
    with snapshot_path(digest).joinpath(*path.split("/")).open("rb") as file:
        return file.read(limit), True


def _preview(asset: DataAsset, path: str, size: int) -> dict:
    """What the data page shows for one file: a table, an image or the first lines of text."""
    kind = _preview_kind(path)
    preview = {"path": path, "kind": kind, "size": size}
    if kind == "image":
        if size > MAX_IMAGE_BYTES:
            return {**preview, "kind": "none", "reason": "The image is too large to preview."}
        preview["url"] = reverse(
            "studio:data-raw", kwargs={"name": asset.name, "version": asset.version, "path": path}
        )
        return preview
    try:
        head, cut = _read_head(asset.snapshot_digest, path, size, MAX_PREVIEW_BYTES)
    except (OSError, StorageError) as error:
        return {**preview, "kind": "none", "reason": str(error)}
    if b"\x00" in head[:8192]:
        return {**preview, "kind": "none", "reason": "Binary file: no preview."}
    text = head.decode("utf-8", errors="replace")
    if cut and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    if kind == "table":
        delimiter = TABLE_DELIMITERS[PurePosixPath(path).suffix.lower()]
        rows = []
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append([cell[:200] for cell in row])
            if len(rows) > PREVIEW_ROWS:
                break
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        width = max([len(header), *(len(row) for row in body)], default=0)
        return {**preview, "header": header + [""] * (width - len(header)), "rows": body}
    lines = text.splitlines()
    return {**preview, "lines": "\n".join(lines[:PREVIEW_LINES]), "more": len(lines) > PREVIEW_LINES or cut}


def data_detail(request, name: str, version: str | None = None):
    """A data asset version: type, size, content hash, files and a preview."""
    asset = _find(DATA, name, version)
    if asset is None:
        return _missing(request, DATA, name, version)
    files, files_error = _files(asset.snapshot_digest)
    sizes = dict(files)
    chosen = request.GET.get("file", "")
    if chosen not in sizes:
        chosen = _default_preview(files)
    preview = _preview(asset, chosen, sizes[chosen]) if chosen else None
    return render(
        request,
        "studio/data_detail.html",
        {
            **_asset_context(DATA, asset),
            "files": files[:500],
            "more_files": max(0, len(files) - 500),
            "files_error": files_error,
            "preview": preview,
        },
    )


def data_raw(request, name: str, version: str, path: str):
    """An image file of a data asset, served inline with its content type (images only)."""
    asset = _find(DATA, name, version)
    content_type = IMAGE_TYPES.get(PurePosixPath(path).suffix.lower())
    if asset is None or content_type is None or not _safe_path(path):
        return not_found(request, "There is no such image in this data asset.")
    sizes = dict(_files(asset.snapshot_digest)[0])
    if path not in sizes or sizes[path] > MAX_IMAGE_BYTES:
        return not_found(request, "There is no such image in this data asset.")
    try:
        content = read_snapshot_file(asset.snapshot_digest, path, max_bytes=MAX_IMAGE_BYTES)
    except StorageError:
        return not_found(request, "There is no such image in this data asset.")
    if not content.startswith(IMAGE_MAGIC[content_type]):
        return not_found(request, "This file is not the image its name says.")
    response = HttpResponse(content, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = content_disposition_header(False, PurePosixPath(path).name)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
