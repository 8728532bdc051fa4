"""Asset verbs: `studio environment|component|data create|list|show|archive`, like `az ml`.

`create --file X.yml` reads the definition locally first (a YAML error stops here, with its
line), packs the local files and folders it points at (`code:`, `build.path`, `conda_file`,
data `path`) and sends everything as one multipart request, the way the registry API expects.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import requests

from cli.client import TIMEOUT_SECONDS, StudioClient, describe_error
from cli.field_paths import parse_field
from cli.output import CommandError, add_output_option, emit
from cli.packing import MultipartBody, PackingError, Part, UploadProgress, pack_folder
from cli.table import render_table
from studio.schemas.loading import DefinitionError, LineIndex, Problem, load_document

UPLOAD_TIMEOUT = (TIMEOUT_SECONDS, 900)
PAGE_SIZE = 500
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
REMOTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|azureml:)")
INVALID = 2  # exit code of a definition or argument the server would refuse


# --- Talking to the API -----------------------------------------------------------------------


def api_call(
    client: StudioClient, method: str, path: str, *, timeout: Any = TIMEOUT_SECONDS, **kwargs
) -> requests.Response:
    """Send a request to /api/v1/<path> and return the response, whatever its status."""
    url = f"{client.config.url}/api/v1/{path.lstrip('/')}"
    try:
        return client.session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as error:
        raise CommandError(f"cannot reach {client.config.url}: {error}") from None


def checked(response: requests.Response) -> requests.Response:
    """The response, or a CommandError with the API's error text."""
    if response.status_code >= 400:
        raise CommandError(describe_error(response))
    return response


def fetch_all(client: StudioClient, path: str, params: dict[str, Any] | None = None) -> list[dict]:
    """Every item of a paginated list, page after page."""
    items: list[dict] = []
    page = 1
    while True:
        body = client.request("GET", path, params={**(params or {}), "page_size": PAGE_SIZE, "page": page})
        if isinstance(body, list):  # an unpaginated list
            return body
        items.extend(body.get("results", []))
        if not body.get("next"):
            return items
        page += 1


def format_time(value: str | None) -> str:
    """An API timestamp as local `YYYY-MM-DD HH:MM`."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def format_tags(tags: dict | None) -> str:
    """`{"a": "1", "b": "2"}` as `a=1, b=2`."""
    return ", ".join(
        f"{key}={value}" if value not in (None, "") else str(key) for key, value in (tags or {}).items()
    )


def key_value_lines(pairs: list[tuple[str, Any]]) -> str:
    """`Label:  value` lines, values aligned, empty values left out."""
    shown = [(label, value) for label, value in pairs if value not in (None, "", [], {})]
    width = max((len(label) for label, _ in shown), default=0) + 1
    return "\n".join(f"{label + ':':<{width}} {value}" for label, value in shown)


def report_problems(problems: list[Problem], *, output: str, detail: str = "") -> int:
    """Print every problem as `file:line: field: message` (or as JSON) and return exit code 2."""
    if output == "json":
        print(
            json.dumps(
                {
                    "error": detail or str(problems[0]),
                    "problems": [problem.as_dict() for problem in problems],
                },
                indent=2,
            ),
            file=sys.stderr,
        )
        return INVALID
    for problem in problems:
        print(str(problem), file=sys.stderr)
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    print(f"studio: not registered ({count})", file=sys.stderr)
    return INVALID


# --- The asset kinds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One asset kind: its verb, its API route and what it is called."""

    verb: str
    route: str
    title: str
    plural: str

    @property
    def a(self) -> str:
        """The title with its article: `an environment`, `a component`."""
        return f"{'an' if self.title[0] in 'aeiou' else 'a'} {self.title}"


KINDS = {
    "environment": Kind("environment", "environments", "environment", "environments"),
    "component": Kind("component", "components", "component", "components"),
    "data": Kind("data", "data", "data asset", "data assets"),
}


def parse_reference(text: str, *, need_version: bool = False) -> tuple[str, str | None]:
    """`NAME`, `NAME@latest`, `NAME:VERSION` (optionally `azureml:`-prefixed) as (name, version)."""
    reference = text.strip()
    if reference.startswith("azureml:") and not reference.startswith("azureml://"):
        reference = reference[len("azureml:") :]
    version: str | None = None
    if "@" in reference:
        reference, _, label = reference.partition("@")
        if label != "latest":
            raise CommandError(f"{text!r}: only the label @latest is supported", exit_code=INVALID)
    elif ":" in reference:
        reference, _, version = reference.partition(":")
    if not ASSET_NAME.match(reference) or (version is not None and not ASSET_NAME.match(version)):
        raise CommandError(f"{text!r} is not NAME, NAME:VERSION or NAME@latest", exit_code=INVALID)
    if need_version and version is None:
        raise CommandError(f"{text!r}: give the version as NAME:VERSION", exit_code=INVALID)
    return reference, version


def asset_path(kind: Kind, name: str, version: str | None) -> str:
    """The API path of one version, or of the latest one."""
    return f"{kind.route}/{name}@latest/" if version is None else f"{kind.route}/{name}/{version}/"


# --- create ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalPath:
    """A local file or folder a definition points at, and the upload part that carries it."""

    part: str
    field: tuple[str, ...]
    value: str
    expect: str  # "folder", "file" or "any"


def is_local(value: Any) -> bool:
    """Whether a path field names something on this machine (not a URL or a stored reference)."""
    return isinstance(value, str) and bool(value.strip()) and not REMOTE.match(value.strip())


def _environment_paths(environment: dict, prefix: tuple[str, ...]) -> list[LocalPath]:
    found = []
    build = environment.get("build")
    if isinstance(build, dict) and is_local(build.get("path")):
        found.append(LocalPath("build", (*prefix, "build", "path"), build["path"], "folder"))
    if is_local(environment.get("conda_file")):
        found.append(LocalPath("conda_file", (*prefix, "conda_file"), environment["conda_file"], "file"))
    return found


def local_paths(kind: Kind, document: dict) -> list[LocalPath]:
    """The local paths of a definition, by the fields the registry reads them from."""
    if kind.verb == "environment":
        return _environment_paths(document, ())
    if kind.verb == "component":
        found = []
        if is_local(document.get("code")):
            found.append(LocalPath("code", ("code",), document["code"], "folder"))
        if isinstance(document.get("environment"), dict):
            found += _environment_paths(document["environment"], ("environment",))
        return found
    if is_local(document.get("path")):
        expect = {"uri_file": "file", "uri_folder": "folder"}.get(
            str(document.get("type", "uri_folder")), "any"
        )
        return [LocalPath("path", ("path",), document["path"], expect)]
    return []


def _field_name(path: tuple[str, ...]) -> str:
    return ".".join(path)


def collect_parts(
    kind: Kind, document: dict, index: LineIndex, *, definition: Path, filename: str
) -> tuple[list[Part], list[Problem], list[IO[bytes]]]:
    """Upload parts for the definition's local paths, or the problems that stop it."""
    base = definition.parent
    parts: list[Part] = []
    problems: list[Problem] = []
    opened: list[IO[bytes]] = []
    for local in local_paths(kind, document):
        field, line = _field_name(local.field), index.line_of(local.field)
        target = base / local.value.strip()
        if not target.exists():
            problems.append(
                Problem(filename, field, f"{local.value!r} does not exist (looked for {target})", line)
            )
            continue
        if local.expect == "folder" and not target.is_dir():
            problems.append(
                Problem(filename, field, f"{local.value!r} is a file; a folder is expected here", line)
            )
            continue
        if local.expect == "file" and not target.is_file():
            problems.append(
                Problem(filename, field, f"{local.value!r} is a folder; a file is expected here", line)
            )
            continue
        try:
            if target.is_dir():
                stream = pack_folder(target)
                opened.append(stream)
                parts.append(Part(local.part, f"{local.part}.tar.gz", stream, "application/gzip"))
            else:
                stream = target.open("rb")
                opened.append(stream)
                parts.append(Part(local.part, target.name, stream))
        except (PackingError, OSError) as error:
            problems.append(Problem(filename, field, str(error), line))
    return parts, problems, opened


def _local_file_names(kind: Kind, document: dict, definition: Path) -> dict[str, str]:
    """Names the server reports problems under, mapped back to paths the user can open."""
    names = {definition.name: str(definition)}
    for local in local_paths(kind, document):
        if local.part == "conda_file":
            names[local.value] = os.path.normpath(definition.parent / local.value)
    return names


def post_definition(client: StudioClient, kind: Kind, definition: Path, raw: bytes, parts: list[Part]):
    """POST a definition (multipart `file`) and the parts its local paths became, showing progress."""
    body_parts = [Part("file", definition.name, raw, "application/yaml"), *parts]
    label = " and ".join(part.name for part in parts) or definition.name
    total = sum(part.size() for part in body_parts)
    body = MultipartBody(body_parts, on_progress=UploadProgress(label, total))
    return api_call(
        client,
        "POST",
        f"{kind.route}/",
        data=body,
        headers={"Content-Type": body.content_type},
        timeout=UPLOAD_TIMEOUT,
    )


def run_create(args) -> int:
    kind: Kind = args.kind
    definition = Path(args.file)
    if not definition.is_file():
        raise CommandError(f"{args.file}: no such file", exit_code=INVALID)
    raw = definition.read_bytes()
    try:
        document, index = load_document(raw, filename=str(definition))
    except DefinitionError as error:
        return report_problems(error.problems, output=args.output)
    lines_here = None  # a pipeline component is sent rewritten: its problems' lines are looked up here
    if kind.verb == "component" and document.get("type") == "pipeline":
        prepared = args.prepare_pipeline_component(document, definition, index, output=args.output)
        if isinstance(prepared, int):
            return prepared
        document, raw = prepared
        lines_here = index
    parts, problems, opened = collect_parts(
        kind, document, index, definition=definition, filename=str(definition)
    )
    try:
        if problems:
            for stream in opened:
                stream.close()
            return report_problems(problems, output=args.output)
        response = post_definition(StudioClient.from_saved_login(), kind, definition, raw, parts)
    finally:
        for stream in opened:
            stream.close()
    if response.status_code == 400:
        return _report_server_problems(
            response, kind, document, definition, output=args.output, lines_here=lines_here
        )
    asset = checked(response).json()
    reference = f"{asset['name']}:{asset['version']}"
    if response.status_code == 201:
        text = f"Registered {reference}"
    else:
        text = f"Already registered as {reference} (identical content)"
    print_warnings(asset.get("warnings"), names=_local_file_names(kind, document, definition))
    emit(asset, output=args.output, text=text)
    return 0


def print_warnings(warnings: list[dict] | None, *, names: dict[str, str]) -> None:
    """Each field the server accepted without effect, on stderr as `warning: file:line: field:
    message`, its file named as on this machine (`names`: the server's name -> the local path)."""
    for item in warnings or []:
        file = str(item.get("file") or "")
        line = item.get("line") if isinstance(item.get("line"), int) else None
        message = str(item.get("message") or "no effect here")
        warning = Problem(names.get(file, file), str(item.get("field") or ""), message, line)
        print(f"warning: {warning}", file=sys.stderr)


def _line_here(item: dict, definition: Path, lines_here: LineIndex | None) -> int | None:
    """The line of a server problem: the server's, or that of its field in the file here when the
    server was sent a rewritten copy."""
    if lines_here is None or str(item.get("file") or "") != definition.name or not item.get("field"):
        return item.get("line")
    return lines_here.line_of(parse_field(str(item["field"])))


def _report_server_problems(
    response: requests.Response,
    kind: Kind,
    document: dict,
    definition: Path,
    *,
    output: str,
    lines_here: LineIndex | None = None,
) -> int:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("problems"):
        raise CommandError(describe_error(response), exit_code=INVALID)
    names = _local_file_names(kind, document, definition)
    problems = [
        Problem(
            names.get(str(item.get("file") or ""), str(item.get("file") or definition)),
            str(item.get("field") or ""),
            str(item.get("message") or ""),
            _line_here(item, definition, lines_here),
        )
        for item in body["problems"]
    ]
    return report_problems(problems, output=output, detail=str(body.get("detail", "")))


# --- list, show, archive -----------------------------------------------------------------------


def run_list(args) -> int:
    kind: Kind = args.kind
    client = StudioClient.from_saved_login()
    params: dict[str, Any] = {}
    if args.name:
        params["name"] = args.name
    if args.tag:
        params["tag"] = args.tag
    if args.archived:
        params["archived"] = "true"
    elif args.include_archived:
        params["archived"] = "all"
    assets = fetch_all(client, f"{kind.route}/", params)
    if args.output == "json":
        emit(assets, output="json", text="")
        return 0
    if not assets:
        print(f"No {kind.plural} found.")
        return 0
    third = "TYPE" if kind.verb == "data" else "DESCRIPTION"
    headers = ["NAME", "VERSION", third, "TAGS", "CREATED"]
    show_archived = bool(args.archived or args.include_archived)
    if show_archived:
        headers.append("ARCHIVED")
    rows = []
    for asset in assets:
        described = asset.get("data_type") if kind.verb == "data" else asset.get("description")
        row = [
            asset["name"],
            asset["version"],
            described,
            format_tags(asset.get("tags")),
            format_time(asset.get("created_at")),
        ]
        if show_archived:
            row.append(asset.get("archived"))
        rows.append(row)
    print(render_table(headers, rows, widths={0: 40, 1: 20, 2: 50, 3: 40}))
    return 0


def _conda_summary(conda: Any) -> str:
    if not isinstance(conda, dict):
        return ""
    items = []
    for dependency in conda.get("dependencies") or []:
        if isinstance(dependency, dict):
            for tool, packages in dependency.items():
                items.append(f"{tool}: {', '.join(str(package) for package in packages or [])}")
        else:
            items.append(str(dependency))
    return "; ".join(items)


def _ports(ports: dict | None) -> str:
    described = []
    for name, port in (ports or {}).items():
        extras = [str(port.get("type", "?"))]
        if "default" in port:
            extras.append(f"default {port['default']}")
        if port.get("optional"):
            extras.append("optional")
        described.append(f"{name} ({', '.join(extras)})")
    return ", ".join(described)


def describe_asset(kind: Kind, asset: dict) -> str:
    """The key fields of one asset version as aligned text."""
    spec = asset.get("spec") or {}
    created = format_time(asset.get("created_at"))
    if asset.get("created_by"):
        created = f"{created} by {asset['created_by']}"
    pairs: list[tuple[str, Any]] = [
        ("Name", asset.get("name")),
        ("Version", asset.get("version")),
        ("Reference", asset.get("reference")),
    ]
    if kind.verb == "component":
        pairs.append(("Display name", asset.get("display_name")))
    if kind.verb == "data":
        pairs.append(("Type", asset.get("data_type")))
    pairs += [("Description", asset.get("description")), ("Tags", format_tags(asset.get("tags")))]
    if kind.verb == "environment":
        build = spec.get("build") or {}
        pairs += [
            ("Image", spec.get("image")),
            ("Build context", f"{build['context'][:12]} ({build.get('dockerfile_path')})" if build else ""),
            ("Conda", _conda_summary(spec.get("conda"))),
        ]
    elif kind.verb == "component":
        pairs += [
            ("Environment", asset.get("environment")),
            ("Code", (asset.get("code_digest") or "")[:12]),
            ("Inputs", _ports(spec.get("inputs"))),
            ("Outputs", _ports(spec.get("outputs"))),
            ("Command", " ".join(str(spec.get("command", "")).split())),
        ]
    else:
        size = asset.get("size_bytes")
        pairs += [
            ("URL", asset.get("url")),
            ("Snapshot", (asset.get("snapshot_digest") or "")[:12]),
            ("Size", f"{size} bytes in {asset.get('file_count')} file(s)" if size is not None else ""),
        ]
    pairs += [
        ("Archived", "yes" if asset.get("archived") else "no"),
        ("Created", created),
        ("Content hash", asset.get("content_hash")),
    ]
    return key_value_lines(pairs)


def run_show(args) -> int:
    kind: Kind = args.kind
    name, version = parse_reference(args.reference)
    client = StudioClient.from_saved_login()
    path = asset_path(kind, name, version)
    if args.output == "yaml":
        text = checked(api_call(client, "GET", f"{path}export/", headers={"Accept": "*/*"})).text
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    asset = client.request("GET", path)
    emit(asset, output=args.output, text=describe_asset(kind, asset))
    return 0


def run_archive(args) -> int:
    kind: Kind = args.kind
    name, version = parse_reference(args.reference, need_version=True)
    client = StudioClient.from_saved_login()
    method = "DELETE" if args.restore else "POST"
    asset = client.request(method, f"{asset_path(kind, name, version)}archive/")
    done = "Restored" if args.restore else "Archived"
    emit(asset, output=args.output, text=f"{done} {name}:{version}")
    return 0


# --- The parser --------------------------------------------------------------------------------


def register(verbs, *, prepare_pipeline_component: Callable[..., Any]) -> None:
    """Add `environment`, `component` and `data` with their subverbs to the `studio` parser;
    `prepare_pipeline_component` sends a pipeline component's local parts first (it is
    cli/pipeline_components.py's, which builds on the job uploads, which build on this module)."""
    for kind in KINDS.values():
        parser = verbs.add_parser(kind.verb, help=f"register, list, show and archive {kind.plural}")
        subverbs = parser.add_subparsers(dest="subverb", metavar="SUBVERB", required=True)

        create = subverbs.add_parser("create", help=f"register {kind.a} from a YAML definition")
        create.add_argument("--file", "-f", required=True, help="the YAML definition")
        add_output_option(create)
        create.set_defaults(run=run_create, kind=kind, prepare_pipeline_component=prepare_pipeline_component)

        listing = subverbs.add_parser("list", help=f"list {kind.plural}, newest version first")
        listing.add_argument("--name", "-n", help="only versions of this name")
        listing.add_argument("--tag", help="only versions with this tag: KEY or KEY:VALUE")
        archived = listing.add_mutually_exclusive_group()
        archived.add_argument("--archived", action="store_true", help="only archived versions")
        archived.add_argument("--include-archived", action="store_true", help="archived versions too")
        add_output_option(listing)
        listing.set_defaults(run=run_list, kind=kind)

        show = subverbs.add_parser("show", help=f"show one {kind.title} version")
        show.add_argument("reference", metavar="NAME[:VERSION]", help="NAME or NAME@latest for the latest")
        show.add_argument(
            "--output",
            "-o",
            choices=["text", "json", "yaml"],
            default="text",
            help="text for people, json for scripts, yaml for the definition (registers back unchanged)",
        )
        show.set_defaults(run=run_show, kind=kind)

        archive = subverbs.add_parser("archive", help=f"hide {kind.a} version from lists and @latest")
        archive.add_argument("reference", metavar="NAME:VERSION")
        archive.add_argument("--restore", action="store_true", help="show an archived version again")
        add_output_option(archive)
        archive.set_defaults(run=run_archive, kind=kind)
