"""`studio model create|list|show|archive`: model assets (custom_model, mlflow_model), like `az ml model`.

`create --file model.yml [--path P]` packs the folder or file `path:` names (or P, relative to
the current folder, as `az ml model create --path` does) and uploads it with the definition.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from cli.asset_verbs import (
    INVALID,
    Kind,
    _report_server_problems,
    api_call,
    asset_path,
    checked,
    collect_parts,
    fetch_all,
    format_tags,
    format_time,
    key_value_lines,
    parse_reference,
    post_definition,
    report_problems,
    run_archive,
)
from cli.client import StudioClient
from cli.output import CommandError, add_output_option, emit
from cli.table import render_table
from studio.schemas.loading import DefinitionError, load_document

MODEL = Kind("model", "models", "model", "models")


def print_warnings(warnings: list[dict] | None, *, names: dict[str, str]) -> None:
    """Print the fields the server kept without effect, as `warning: file:line: field: message`."""
    for warning in warnings or []:
        file = names.get(str(warning.get("file") or ""), str(warning.get("file") or ""))
        where = (
            f"{file}:{warning['line']}: " if file and warning.get("line") else (f"{file}: " if file else "")
        )
        field = f"{warning['field']}: " if warning.get("field") else ""
        print(f"warning: {where}{field}{warning.get('message', '')}", file=sys.stderr)


def run_create(args) -> int:
    definition = Path(args.file)
    if not definition.is_file():
        raise CommandError(f"{args.file}: no such file", exit_code=INVALID)
    raw = definition.read_bytes()
    try:
        document, index = load_document(raw, filename=str(definition))
    except DefinitionError as error:
        return report_problems(error.problems, output=args.output)
    if args.path:
        # --path wins over the file's `path:`, and is relative to where the command runs.
        document["path"] = str(Path(args.path).resolve())
        raw = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
    # Without `type:` a model is a custom_model, whose path may be a file or a folder.
    typed = {"type": "custom_model", **document}
    parts, problems, opened = collect_parts(
        MODEL, typed, index, definition=definition, filename=str(definition)
    )
    try:
        if problems:
            return report_problems(problems, output=args.output)
        response = post_definition(StudioClient.from_saved_login(), MODEL, definition, raw, parts)
    finally:
        for stream in opened:
            stream.close()
    if response.status_code == 400:
        return _report_server_problems(response, MODEL, document, definition, output=args.output)
    model = checked(response).json()
    print_warnings(model.get("warnings"), names={definition.name: str(definition)})
    reference = f"{model['name']}:{model['version']}"
    text = f"Registered {reference}" if response.status_code == 201 else f"Already registered as {reference}"
    emit(
        model, output=args.output, text=text if response.status_code == 201 else f"{text} (identical content)"
    )
    return 0


def run_list(args) -> int:
    client = StudioClient.from_saved_login()
    params: dict[str, Any] = {"name": args.name} if args.name else {}
    if args.tag:
        params["tag"] = args.tag
    if args.include_archived:
        params["archived"] = "all"
    models = fetch_all(client, f"{MODEL.route}/", params)
    if args.output == "json":
        emit(models, output="json", text="")
        return 0
    if not models:
        print("No models found.")
        return 0
    rows = [
        [
            model["name"],
            model["version"],
            model.get("model_type"),
            model.get("stage") or "",
            format_tags(model.get("tags")),
            format_time(model.get("created_at")),
        ]
        for model in models
    ]
    print(render_table(["NAME", "VERSION", "TYPE", "STAGE", "TAGS", "CREATED"], rows, widths={0: 40, 4: 40}))
    return 0


def describe_model(model: dict) -> str:
    """The key fields of one model version as aligned text."""
    created = format_time(model.get("created_at"))
    if model.get("created_by"):
        created = f"{created} by {model['created_by']}"
    size = model.get("size_bytes")
    spec = model.get("spec") or {}
    return key_value_lines(
        [
            ("Name", model.get("name")),
            ("Version", model.get("version")),
            ("Reference", model.get("reference")),
            ("Type", model.get("model_type")),
            ("Stage", model.get("stage")),
            ("Description", model.get("description")),
            ("Tags", format_tags(model.get("tags"))),
            ("Properties", format_tags(spec.get("properties"))),
            ("Snapshot", (model.get("snapshot_digest") or "")[:12]),
            ("Size", f"{size} bytes in {model.get('file_count')} file(s)" if size is not None else ""),
            ("Archived", "yes" if model.get("archived") else "no"),
            ("Created", created),
            ("Content hash", model.get("content_hash")),
        ]
    )


def run_show(args) -> int:
    name, version = parse_reference(args.reference)
    client = StudioClient.from_saved_login()
    path = asset_path(MODEL, name, version)
    if args.output == "yaml":
        text = checked(api_call(client, "GET", f"{path}export/", headers={"Accept": "*/*"})).text
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    model = client.request("GET", path)
    emit(model, output=args.output, text=describe_model(model))
    return 0


def register(verbs) -> None:
    """Add `model` and its subverbs to the `studio` parser."""
    parser = verbs.add_parser("model", help="register, list, show and archive models")
    subverbs = parser.add_subparsers(dest="subverb", metavar="SUBVERB", required=True)

    create = subverbs.add_parser("create", help="register a model from a YAML definition")
    create.add_argument("--file", "-f", required=True, help="the YAML definition")
    create.add_argument("--path", "-p", help="the model's folder or file, instead of the definition's `path`")
    add_output_option(create)
    create.set_defaults(run=run_create, kind=MODEL)

    listing = subverbs.add_parser("list", help="list models, newest version first")
    listing.add_argument("--name", "-n", help="only versions of this name")
    listing.add_argument("--tag", help="only versions with this tag: KEY or KEY:VALUE")
    listing.add_argument("--include-archived", action="store_true", help="archived versions too")
    add_output_option(listing)
    listing.set_defaults(run=run_list, kind=MODEL)

    show = subverbs.add_parser("show", help="show one model version")
    show.add_argument("reference", metavar="NAME[:VERSION]", help="NAME or NAME@latest for the latest")
    show.add_argument(
        "--output",
        "-o",
        choices=["text", "json", "yaml"],
        default="text",
        help="text for people, json for scripts, yaml for the definition (registers back unchanged)",
    )
    show.set_defaults(run=run_show, kind=MODEL)

    archive = subverbs.add_parser("archive", help="hide a model version from lists and @latest")
    archive.add_argument("reference", metavar="NAME:VERSION")
    archive.add_argument("--restore", action="store_true", help="show an archived version again")
    add_output_option(archive)
    archive.set_defaults(run=run_archive, kind=MODEL)
