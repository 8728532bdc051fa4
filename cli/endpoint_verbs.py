"""Endpoint verbs: `studio endpoint publish|list|show|invoke|disable|enable|set-default|key …`.

`publish --file pipeline.yml` prepares the pipeline as `studio job create` does (local components
registered, local data uploaded) and publishes it as the next version of the endpoint.
`invoke NAME --set inputs.x=v` sends each value to ParameterAssignments or DataPathAssignments
according to the endpoint's parameter schema, and `--stream` follows the run like `studio job stream`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from cli.asset_verbs import INVALID, api_call, checked, format_time
from cli.client import StudioClient
from cli.jobs.overrides import parse_assignment
from cli.jobs.streaming import stream
from cli.jobs.submit import send_pipeline
from cli.output import CommandError, add_output_option, emit
from cli.table import render_table


def endpoint_path(name: str, *rest: str) -> str:
    return "/".join(["endpoints", name, *rest]) + "/"


def get_endpoint(client: StudioClient, name: str) -> dict:
    return checked(api_call(client, "GET", endpoint_path(name))).json()


def describe_endpoint(endpoint: dict) -> str:
    lines = [
        f"{endpoint['name']}  {endpoint['status']}  default version {endpoint['default_version']}",
        f"  invoke:  POST {endpoint['invoke_url']}",
        f"  openapi: {endpoint['openapi_url']}",
    ]
    if endpoint.get("description"):
        lines.insert(1, f"  {endpoint['description']}")
    versions = endpoint.get("versions") or []
    default = next((v for v in versions if v["number"] == endpoint["default_version"]), None)
    if default:
        lines.append("")
        lines.append(f"Parameters of version {default['number']}:")
        rows = []
        for parameter in default["parameters"]:
            bounds = []
            if "min" in parameter:
                bounds.append(f">= {parameter['min']}")
            if "max" in parameter:
                bounds.append(f"<= {parameter['max']}")
            if parameter.get("enum"):
                bounds.append("one of " + ", ".join(map(str, parameter["enum"])))
            rows.append(
                [
                    parameter["name"],
                    parameter["type"] if parameter["kind"] == "value" else f"data ({parameter['type']})",
                    "required" if parameter.get("required") else json.dumps(parameter.get("default")),
                    "; ".join(bounds),
                ]
            )
        lines.append(render_table(["NAME", "TYPE", "DEFAULT", "ALLOWED"], rows) if rows else "  (none)")
    if versions:
        lines.append("")
        lines.append(
            render_table(
                ["VERSION", "SOURCE", "CREATED", "BY"],
                [
                    [
                        f"{v['number']}{' (default)' if v['number'] == endpoint['default_version'] else ''}",
                        f"{v['source']} {v['source_ref']}".strip(),
                        format_time(v["created_at"]),
                        v["created_by"] or "",
                    ]
                    for v in versions
                ],
            )
        )
    keys = [key for key in endpoint.get("keys") or [] if key["active"]]
    if keys:
        lines.append("")
        lines.append(
            render_table(
                ["KEY", "ID", "PREFIX", "LAST USED"],
                [
                    [k["name"], k["id"], f"{k['prefix']}…", format_time(k["last_used_at"]) or "never"]
                    for k in keys
                ],
            )
        )
    return "\n".join(lines)


# --- publish -------------------------------------------------------------------------------------


def run_publish(args) -> int:
    def publish(client: StudioClient, document: dict):
        body = {
            "name": args.name,
            "description": args.description or "",
            "make_default": args.default,
            "pipeline": document,
        }
        return api_call(
            client,
            "POST",
            "endpoints/",
            data=json.dumps(body, default=str).encode(),
            headers={"Content-Type": "application/json"},
        )

    sent = send_pipeline(args.file, args.set or [], output=args.output, send=publish)
    if isinstance(sent, int):
        return sent
    endpoint = checked(sent[1]).json()
    number = endpoint["published_version"]
    default = " (the default)" if endpoint["default_version"] == number else ""
    emit(
        endpoint,
        output=args.output,
        text=f"Published {endpoint['name']} version {number}{default}\n  {endpoint['url']}",
    )
    return 0


# --- list, show, manage ------------------------------------------------------------------------


def run_list(args) -> int:
    client = StudioClient.from_saved_login()
    endpoints = checked(api_call(client, "GET", "endpoints/")).json()["results"]
    rows = [
        [
            e["name"],
            e["status"],
            e["default_version"],
            f"{e['last_run']['id']} ({e['last_run']['status']})" if e["last_run"] else "",
            e["runs_today"] or 0,
        ]
        for e in endpoints
    ]
    text = (
        render_table(["NAME", "STATUS", "DEFAULT", "LAST RUN", "RUNS TODAY"], rows)
        if rows
        else "No endpoints."
    )
    emit(endpoints, output=args.output, text=text)
    return 0


def run_show(args) -> int:
    endpoint = get_endpoint(StudioClient.from_saved_login(), args.name)
    emit(endpoint, output=args.output, text=describe_endpoint(endpoint))
    return 0


def _patch(args, change: dict, text: str) -> int:
    client = StudioClient.from_saved_login()
    endpoint = checked(
        api_call(
            client,
            "PATCH",
            endpoint_path(args.name),
            data=json.dumps(change).encode(),
            headers={"Content-Type": "application/json"},
        )
    ).json()
    emit(endpoint, output=args.output, text=text.format(**endpoint))
    return 0


def run_disable(args) -> int:
    return _patch(args, {"status": "Disabled"}, "{name} is Disabled: invocations get 409 until it is enabled")


def run_enable(args) -> int:
    return _patch(args, {"status": "Active"}, "{name} is Active")


def run_set_default(args) -> int:
    return _patch(
        args, {"default_version": args.version}, "{name} now runs version {default_version} by default"
    )


def run_key_create(args) -> int:
    client = StudioClient.from_saved_login()
    created = checked(
        api_call(
            client,
            "POST",
            endpoint_path(args.name, "keys"),
            data=json.dumps({"name": args.key_name}).encode(),
            headers={"Content-Type": "application/json"},
        )
    ).json()
    if args.output == "json":
        emit({"key": created["key"], "id": created["id"], "name": created["name"]}, output="json", text="")
        return 0
    print(f"Key {created['name']} (id {created['id']}) for {args.name}. It is shown only this once:\n")
    print(f"  {created['key']}\n")
    print(f"Invoke with: Authorization: Bearer {created['prefix']}…")
    return 0


def run_key_revoke(args) -> int:
    client = StudioClient.from_saved_login()
    revoked = checked(
        api_call(client, "POST", endpoint_path(args.name, "keys", str(args.key_id), "revoke"))
    ).json()
    emit(
        revoked,
        output=args.output,
        text=f"Revoked key {revoked['name']} ({revoked['prefix']}…) of {args.name}",
    )
    return 0


# --- invoke --------------------------------------------------------------------------------------


def invocation_body(
    parameters: list[dict], assignments: list[str], *, experiment: str | None
) -> dict[str, Any]:
    """The invoke body of `--set inputs.NAME=VALUE` (or `NAME=VALUE`) assignments, each sent where
    the endpoint's schema says it belongs (a value parameter or a data input)."""
    kinds = {parameter["name"]: parameter["kind"] for parameter in parameters}
    values: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for assignment in assignments:
        path, value = parse_assignment(assignment)
        if path[0] == "inputs" and len(path) == 2:
            name = path[1]
        elif len(path) == 1:
            name = path[0]
        else:
            raise CommandError(f"--set {assignment!r}: expected inputs.NAME=VALUE", exit_code=INVALID)
        if kinds.get(name) == "data":
            data[name] = str(value)
        else:  # unknown names go along as parameters, so the server lists them with the rest
            values[name] = value
    body: dict[str, Any] = {}
    if experiment:
        body["ExperimentName"] = experiment
    if values:
        body["ParameterAssignments"] = values
    if data:
        body["DataPathAssignments"] = data
    return body


def run_invoke(args) -> int:
    client = StudioClient.from_saved_login()
    endpoint = get_endpoint(client, args.name)
    versions = {v["number"]: v for v in endpoint["versions"]}
    number = args.version or endpoint["default_version"]
    if number not in versions:
        raise CommandError(f"{args.name} has no version {number}", exit_code=INVALID)
    body = invocation_body(versions[number]["parameters"], args.set or [], experiment=args.experiment_name)
    headers = {"Content-Type": "application/json"}
    if args.idempotency_key:
        headers["Idempotency-Key"] = args.idempotency_key
    response = api_call(
        client,
        "POST",
        f"endpoints/{args.name}/runs",
        params={"version": args.version} if args.version else None,
        data=json.dumps(body).encode(),
        headers=headers,
    )
    if response.status_code == 400:
        errors = response.json().get("errors", {})
        if args.output == "json":
            emit(response.json(), output="json", text="")
        else:
            print(f"{args.name} refused the invocation:", file=sys.stderr)
            for field, messages in errors.items():
                for message in messages:
                    print(f"  {field}: {message}", file=sys.stderr)
        return INVALID
    run = checked(response).json()
    verb = "Started" if response.status_code == 201 else "Already started (same Idempotency-Key)"
    text = f"{verb} run {run['Id']} of {args.name} version {number} ({run['Status']})\n  {run['Url']}"
    if not args.stream:
        emit(run, output=args.output, text=text)
        return 0
    print(text, file=sys.stderr if args.output == "json" else sys.stdout, flush=True)
    return stream(client, run["Id"], output=args.output)


# --- the parser ----------------------------------------------------------------------------------


def register(verbs) -> None:
    """Add `endpoint` and its subverbs to the `studio` parser."""
    parser = verbs.add_parser(
        "endpoint", help="publish pipelines as REST endpoints, invoke them, manage keys"
    )
    subverbs = parser.add_subparsers(dest="subverb", metavar="SUBVERB", required=True)

    publish = subverbs.add_parser("publish", help="publish a pipeline YAML as a new version of an endpoint")
    publish.add_argument("--file", "-f", required=True, help="the pipeline job YAML")
    publish.add_argument("--name", "-n", required=True, help="the endpoint (created when new)")
    publish.add_argument("--description", "-d", help="what the endpoint does")
    publish.add_argument("--default", action="store_true", help="make this version the one that runs")
    publish.add_argument("--set", action="append", metavar="PATH=VALUE", help="override a field first")
    add_output_option(publish)
    publish.set_defaults(run=run_publish)

    listing = subverbs.add_parser("list", help="endpoints with their status and last run")
    add_output_option(listing)
    listing.set_defaults(run=run_list)

    show = subverbs.add_parser("show", help="an endpoint: parameters, versions, keys")
    show.add_argument("name", metavar="NAME")
    add_output_option(show)
    show.set_defaults(run=run_show)

    invoke = subverbs.add_parser("invoke", help="run an endpoint with parameter values")
    invoke.add_argument("name", metavar="NAME")
    invoke.add_argument("--version", type=int, help="run this version (default: the endpoint's default)")
    invoke.add_argument(
        "--set", action="append", metavar="inputs.NAME=VALUE", help="a parameter or data input (repeatable)"
    )
    invoke.add_argument("--experiment-name", help="the experiment the run joins")
    invoke.add_argument(
        "--idempotency-key", help="a repeat with the same key within 24 h returns the first run"
    )
    invoke.add_argument("--stream", "-s", action="store_true", help="follow status and logs until it ends")
    add_output_option(invoke)
    invoke.set_defaults(run=run_invoke)

    for verb, run, help_text in (
        ("disable", run_disable, "stop an endpoint from running (invocations get 409)"),
        ("enable", run_enable, "let a disabled endpoint run again"),
    ):
        command = subverbs.add_parser(verb, help=help_text)
        command.add_argument("name", metavar="NAME")
        add_output_option(command)
        command.set_defaults(run=run)

    default = subverbs.add_parser("set-default", help="choose which version runs by default")
    default.add_argument("name", metavar="NAME")
    default.add_argument("version", type=int, metavar="VERSION")
    add_output_option(default)
    default.set_defaults(run=run_set_default)

    key = subverbs.add_parser("key", help="create or revoke the keys other systems invoke with")
    key_verbs = key.add_subparsers(dest="key_verb", metavar="create|revoke", required=True)
    create = key_verbs.add_parser("create", help="a new key; its secret is printed once")
    create.add_argument("name", metavar="NAME", help="the endpoint")
    create.add_argument("--key-name", default="cli", help="what the key is for (default: cli)")
    add_output_option(create)
    create.set_defaults(run=run_key_create)
    revoke = key_verbs.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("name", metavar="NAME", help="the endpoint")
    revoke.add_argument("key_id", type=int, metavar="KEY_ID")
    add_output_option(revoke)
    revoke.set_defaults(run=run_key_revoke)
