"""Compute verbs: `studio compute create|list|show|update|check|drain|resume|delete`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cli.asset_verbs import INVALID, fetch_all, format_time, key_value_lines
from cli.client import StudioClient
from cli.output import CommandError, add_output_option, emit
from cli.table import render_table

COMPUTE_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")


def compute_path(name: str) -> str:
    if not COMPUTE_NAME.match(name):
        raise CommandError(
            f"{name!r} is not a compute name (letters, digits, '-' and '_')", exit_code=INVALID
        )
    return f"computes/{name}/"


def parse_gpus(text: str) -> list[str]:
    """`0,1` as ["0", "1"]; an empty string means no GPUs; `auto` asks the server to detect them."""
    if text.strip().lower() == "auto":
        return "auto"  # type: ignore[return-value]  (the API detects them through the engine)
    ids = [item.strip() for item in text.split(",")] if text.strip() else []
    if any(not item for item in ids):
        raise CommandError(
            f"--gpus {text!r}: give device ids separated by commas, e.g. 0,1", exit_code=INVALID
        )
    return ids


def summary(compute: dict) -> str:
    """`NAME (docker): offline — why`."""
    state = compute.get("state", "unknown")
    detail = compute.get("state_detail")
    return f"{compute['name']} ({compute.get('kind')}): {state}" + (f" — {detail}" if detail else "")


def worker_line(worker: dict) -> str:
    """`host:pid (4 threads, 0.1.0)`, and `stopping` while it hands back its steps."""
    line = f"{worker.get('worker_id')} ({worker.get('threads')} threads, {worker.get('version')})"
    return line + (" stopping" if worker.get("stopping") else "")


def describe_compute(compute: dict) -> str:
    """The key fields of a compute as aligned text."""
    info = compute.get("engine_info") or {}
    memory = compute.get("memory_mb")
    return key_value_lines(
        [
            ("Name", compute.get("name")),
            ("Type", compute.get("kind")),
            ("Description", compute.get("description")),
            ("Engine", compute.get("engine_url")),
            ("TLS", describe_tls(compute.get("tls") or {})),
            ("State", compute.get("state")),
            ("Detail", compute.get("state_detail")),
            ("Checked", format_time(compute.get("checked_at"))),
            ("Max concurrent", compute.get("max_concurrent_steps")),
            ("CPUs", compute.get("cpus")),
            ("Memory", f"{memory} MB" if memory else ""),
            ("GPUs", ", ".join(str(gpu) for gpu in compute.get("gpu_ids") or [])),
            ("Network", compute.get("network")),
            ("Engine version", info.get("server_version")),
            ("Discovered", "yes" if compute.get("discovered") else ""),
            ("Created", format_time(compute.get("created_at"))),
            ("Workers", "; ".join(worker_line(w) for w in compute.get("workers") or []) or "none live"),
        ]
    )


def describe_tls(tls: dict) -> str:
    """`set, client certificate sha256:…, expires …`: the API never sends the PEM back."""
    if not tls.get("set"):
        return ""
    parts = ["set"]
    if tls.get("fingerprint"):
        parts.append(
            f"{'client certificate' if tls.get('client_certificate') else 'CA'} {tls['fingerprint']}"
        )
    if tls.get("expires"):
        parts.append(f"expires {tls['expires'][:10]}")
    if tls.get("error"):
        parts.append(tls["error"])
    return ", ".join(parts)


def _tls(args) -> dict[str, str]:
    """The PEM files of --tls-ca/--tls-cert/--tls-key as API fields; --no-tls removes them."""
    if getattr(args, "no_tls", False):
        if args.tls_ca or args.tls_cert or args.tls_key:
            raise CommandError(
                "--no-tls removes the TLS material: give no --tls-* file with it", exit_code=INVALID
            )
        return {"tls_ca": "", "tls_cert": "", "tls_key": ""}
    fields: dict[str, str] = {}
    for field, path in (("tls_ca", args.tls_ca), ("tls_cert", args.tls_cert), ("tls_key", args.tls_key)):
        if path is None:
            continue
        try:
            fields[field] = Path(path).read_text()
        except (OSError, UnicodeDecodeError) as error:
            option = "--" + field.replace("_", "-")
            raise CommandError(f"{option} {path}: cannot read it ({error})", exit_code=INVALID) from None
    return fields


def _capacity(args) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if args.description is not None:
        fields["description"] = args.description
    if args.max_concurrent is not None:
        fields["max_concurrent_steps"] = args.max_concurrent
    if args.cpus is not None:
        fields["cpus"] = args.cpus
    if args.memory_mb is not None:
        fields["memory_mb"] = args.memory_mb
    if args.gpus is not None:
        fields["gpu_ids"] = parse_gpus(args.gpus)
    if args.network is not None:
        fields["network"] = args.network
    return fields


def run_create(args) -> int:
    if args.type == "docker" and not args.docker_url:
        raise CommandError(
            "a docker compute needs --docker-url, e.g. unix:///var/run/docker.sock", exit_code=INVALID
        )
    if args.type == "local" and args.docker_url:
        raise CommandError("a local compute has no engine: leave out --docker-url", exit_code=INVALID)
    compute_path(args.name)
    payload = {"name": args.name, "kind": args.type, **_capacity(args), **_tls(args)}
    if args.docker_url:
        payload["engine_url"] = args.docker_url
    client = StudioClient.from_saved_login()
    compute = client.request("POST", "computes/", json=payload)
    emit(compute, output=args.output, text=f"Registered compute {summary(compute)}")
    return 0


def run_update(args) -> int:
    fields = {**_capacity(args), **_tls(args)}
    if not fields:
        raise CommandError(
            "nothing to change: give --description, --max-concurrent, --cpus, --memory-mb, --gpus, "
            "--network, --tls-ca/--tls-cert/--tls-key or --no-tls",
            exit_code=INVALID,
        )
    client = StudioClient.from_saved_login()
    compute = client.request("PATCH", compute_path(args.name), json=fields)
    emit(compute, output=args.output, text=describe_compute(compute))
    return 0


def run_list(args) -> int:
    client = StudioClient.from_saved_login()
    computes = fetch_all(client, "computes/")
    if args.output == "json":
        emit(computes, output="json", text="")
        return 0
    if not computes:
        print("No computes registered.")
        return 0
    rows = [
        [
            compute["name"],
            compute.get("kind"),
            compute.get("state"),
            compute.get("max_concurrent_steps"),
            ",".join(str(gpu) for gpu in compute.get("gpu_ids") or []),
            compute.get("engine_url") or "",
            compute.get("state_detail"),
        ]
        for compute in computes
    ]
    headers = ["NAME", "TYPE", "STATE", "MAX STEPS", "GPUS", "ENGINE", "DETAIL"]
    print(render_table(headers, rows, widths={5: 40, 6: 60}))
    return 0


def run_show(args) -> int:
    client = StudioClient.from_saved_login()
    compute = client.request("GET", compute_path(args.name))
    emit(compute, output=args.output, text=describe_compute(compute))
    return 0


def _action(action: str, past: str):
    def run(args) -> int:
        client = StudioClient.from_saved_login()
        compute = client.request("POST", f"{compute_path(args.name)}{action}/")
        text = f"{past}: {summary(compute)}" if past else summary(compute)
        if (compute.get("check") or {}).get("requested"):  # a worker serving it checks it
            text = compute["check"]["message"]
        emit(compute, output=args.output, text=text)
        return 0

    return run


def run_delete(args) -> int:
    client = StudioClient.from_saved_login()
    client.request("DELETE", compute_path(args.name))
    emit({"deleted": args.name}, output=args.output, text=f"Deleted compute {args.name}")
    return 0


def _capacity_options(parser) -> None:
    parser.add_argument("--description", help="what the compute is for")
    parser.add_argument("--max-concurrent", type=int, metavar="N", help="steps it runs at once (1-1024)")
    parser.add_argument("--cpus", type=float, help="CPUs steps may use")
    parser.add_argument("--memory-mb", type=int, metavar="MB", help="memory steps may use")
    parser.add_argument(
        "--gpus",
        metavar="IDS",
        help="GPU device ids steps may use, e.g. 0,1 ('' for none; auto: detected through the engine)",
    )
    parser.add_argument(
        "--network",
        choices=["bridge", "none"],
        help="network of step containers: bridge (Docker's default) or none (no network at all)",
    )


def _tls_options(parser, *, removable: bool) -> None:
    parser.add_argument(
        "--tls-ca", metavar="PEM", help="tcp:// engines: CA certificate file that signed the engine's"
    )
    parser.add_argument("--tls-cert", metavar="PEM", help="tcp:// engines: client certificate file")
    parser.add_argument("--tls-key", metavar="PEM", help="tcp:// engines: the client certificate's key file")
    if removable:
        parser.add_argument("--no-tls", action="store_true", help="forget the compute's TLS material")


def register(verbs) -> None:
    """Add `compute` and its subverbs to the `studio` parser."""
    compute = verbs.add_parser("compute", help="register, list, check and drain computes")
    subverbs = compute.add_subparsers(dest="subverb", metavar="SUBVERB", required=True)

    create = subverbs.add_parser("create", help="register a compute")
    create.add_argument("--name", "-n", required=True)
    create.add_argument("--type", choices=["docker", "local"], default="docker", help="default: docker")
    create.add_argument(
        "--docker-url",
        help="the Docker engine, e.g. unix:///var/run/docker.sock, tcp://host:2376 (with --tls-*) or ssh://user@host",
    )
    _capacity_options(create)
    _tls_options(create, removable=False)
    add_output_option(create)
    create.set_defaults(run=run_create)

    update = subverbs.add_parser("update", help="change a compute's description, capacity or TLS material")
    update.add_argument("name", metavar="NAME")
    _capacity_options(update)
    _tls_options(update, removable=True)
    add_output_option(update)
    update.set_defaults(run=run_update)

    listing = subverbs.add_parser("list", help="list computes and their state")
    add_output_option(listing)
    listing.set_defaults(run=run_list)

    for verb, helptext, run in (
        ("show", "show one compute", run_show),
        ("check", "probe a compute now and record its state", _action("check", "")),
        ("drain", "finish running steps but start no new ones", _action("drain", "Draining")),
        ("resume", "take new steps again after draining", _action("resume", "Resumed")),
        ("delete", "delete a compute no step has used", run_delete),
    ):
        parser = subverbs.add_parser(verb, help=helptext)
        parser.add_argument("name", metavar="NAME")
        add_output_option(parser)
        parser.set_defaults(run=run)
