"""`studio datastore create|list|show`: datastores (server folders), like `az ml datastore`.

Not versioned: `create` under a taken name updates that datastore. The fields that address
Azure storage are kept but have no effect here; the server says so and `create` prints it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cli.asset_verbs import (
    ASSET_NAME,
    INVALID,
    Kind,
    _report_server_problems,
    api_call,
    checked,
    fetch_all,
    format_tags,
    format_time,
    key_value_lines,
    report_problems,
)
from cli.client import StudioClient
from cli.model_verbs import print_warnings
from cli.output import CommandError, add_output_option, emit
from cli.packing import MultipartBody, Part
from cli.table import render_table
from studio.schemas.loading import DefinitionError, load_document

DATASTORE = Kind("datastore", "datastores", "datastore", "datastores")


def run_create(args) -> int:
    definition = Path(args.file)
    if not definition.is_file():
        raise CommandError(f"{args.file}: no such file", exit_code=INVALID)
    raw = definition.read_bytes()
    try:
        document, _ = load_document(raw, filename=str(definition))
    except DefinitionError as error:
        return report_problems(error.problems, output=args.output)
    client = StudioClient.from_saved_login()
    body = MultipartBody([Part("file", definition.name, raw, "application/yaml")])
    response = api_call(
        client, "POST", f"{DATASTORE.route}/", data=body, headers={"Content-Type": body.content_type}
    )
    if response.status_code == 400:
        return _report_server_problems(response, DATASTORE, document, definition, output=args.output)
    datastore = checked(response).json()
    print_warnings(datastore.get("warnings"), names={definition.name: str(definition)})
    done = "Registered" if response.status_code == 201 else "Updated"
    emit(
        datastore,
        output=args.output,
        text=f"{done} datastore {datastore['name']} ({datastore['uri']} is {datastore['folder']})",
    )
    return 0


def run_list(args) -> int:
    client = StudioClient.from_saved_login()
    datastores = fetch_all(client, f"{DATASTORE.route}/")
    if args.output == "json":
        emit(datastores, output="json", text="")
        return 0
    rows = [
        [
            datastore["name"] + (" (default)" if datastore.get("is_default") else ""),
            datastore.get("datastore_type"),
            datastore.get("folder"),
            format_tags(datastore.get("tags")),
        ]
        for datastore in datastores
    ]
    print(render_table(["NAME", "TYPE", "FOLDER", "TAGS"], rows, widths={0: 40, 2: 60, 3: 40}))
    return 0


def describe_datastore(datastore: dict) -> str:
    """The key fields of one datastore as aligned text, the kept Azure fields marked."""
    spec = datastore.get("spec") or {}
    kept = [
        (field, f"{spec[field]} (no effect here)")
        for field in ("account_name", "container_name", "file_share_name", "filesystem", "store_name")
        + ("endpoint", "protocol")
        if field in spec
    ]
    created = format_time(datastore.get("created_at"))
    if datastore.get("created_by"):
        created = f"{created} by {datastore['created_by']}"
    return key_value_lines(
        [
            ("Name", datastore.get("name")),
            ("Type", datastore.get("datastore_type")),
            ("URI", datastore.get("uri")),
            ("Folder", datastore.get("folder")),
            ("Default", "yes" if datastore.get("is_default") else ""),
            ("Built in", "yes" if datastore.get("built_in") else ""),
            ("Description", datastore.get("description")),
            ("Tags", format_tags(datastore.get("tags"))),
            *kept,
            ("Created", created),
            ("Updated", format_time(datastore.get("updated_at"))),
        ]
    )


def run_show(args) -> int:
    name = args.name.strip().removeprefix("azureml:")
    if not ASSET_NAME.match(name):
        raise CommandError(f"{args.name!r} is not a datastore name", exit_code=INVALID)
    client = StudioClient.from_saved_login()
    if args.output == "yaml":
        text = checked(
            api_call(client, "GET", f"{DATASTORE.route}/{name}/export/", headers={"Accept": "*/*"})
        ).text
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    datastore = client.request("GET", f"{DATASTORE.route}/{name}/")
    emit(datastore, output=args.output, text=describe_datastore(datastore))
    return 0


def register(verbs) -> None:
    """Add `datastore` and its subverbs to the `studio` parser."""
    parser = verbs.add_parser("datastore", help="register, list and show datastores (server folders)")
    subverbs = parser.add_subparsers(dest="subverb", metavar="SUBVERB", required=True)

    create = subverbs.add_parser("create", help="register or update a datastore from a YAML definition")
    create.add_argument("--file", "-f", required=True, help="the YAML definition")
    add_output_option(create)
    create.set_defaults(run=run_create)

    listing = subverbs.add_parser("list", help="list datastores")
    add_output_option(listing)
    listing.set_defaults(run=run_list)

    show = subverbs.add_parser("show", help="show one datastore")
    show.add_argument("name", metavar="NAME")
    show.add_argument(
        "--output",
        "-o",
        choices=["text", "json", "yaml"],
        default="text",
        help="text for people, json for scripts, yaml for the definition (registers back)",
    )
    show.set_defaults(run=run_show)
