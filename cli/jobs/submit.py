"""Submitting: `studio job create`, `cancel` and `rerun`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from cli.asset_verbs import INVALID, api_call, checked
from cli.client import StudioClient, describe_error
from cli.jobs.api import JOB_NAME, job_path
from cli.jobs.discovery import discover, rewrite
from cli.jobs.overrides import apply_overrides
from cli.jobs.problems import ProblemsFound, parse_field, report_problems
from cli.jobs.show import submitted_text
from cli.jobs.streaming import stream
from cli.jobs.uploads import Uploader
from cli.output import CommandError, emit
from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path, load_document


def submit_problems(response: requests.Response, *, pipeline: Path, index: LineIndex) -> ProblemsFound:
    """A 400 of POST /jobs/ as problems located in the pipeline file (the server saw JSON)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("problems"):
        raise CommandError(describe_error(response), exit_code=INVALID)
    problems = []
    for item in body["problems"]:
        file = str(item.get("file") or "")
        field_name = str(item.get("field") or "")
        line = item.get("line")
        if file in ("", "request body"):
            file = str(pipeline)
            line = index.line_of(parse_field(field_name)) if field_name else None
        problems.append(Problem(file, field_name, str(item.get("message") or ""), line))
    return ProblemsFound(problems)  # the server's `detail` names "request body", not the file


def print_warnings(
    warnings: list[dict],
    *,
    pipeline: Path,
    index: LineIndex,
    conda_files: dict[str, tuple[Path, LineIndex]] | None = None,
) -> None:
    """Each warning of the server (a field Azure ML accepts that has no effect here) on stderr, as
    `warning: file:line: field: message`, located in the pipeline file (or in the conda file here
    whose contents were sent in its place: `conda_files`)."""
    for item in warnings:
        file = str(item.get("file") or "")
        field_name = str(item.get("field") or "")
        line = item.get("line")
        for sent_at, (conda, lines) in (conda_files or {}).items():
            if field_name.startswith(f"{sent_at}."):
                field_name = field_name.removeprefix(f"{sent_at}.")
                file, line = str(conda), lines.line_of(parse_field(field_name))
                break
        if file in ("", "request body"):
            file = str(pipeline)
            line = index.line_of(parse_field(field_name)) if field_name else None
        print(f"warning: {Problem(file, field_name, str(item.get('message') or ''), line)}", file=sys.stderr)


def send_pipeline(
    path_text: str,
    assignments: list[str],
    *,
    output: str,
    send: Callable[[StudioClient, dict], requests.Response],
) -> tuple[StudioClient, requests.Response] | int:
    """Read a pipeline file, apply `--set`, register its local components, upload its local data and
    `send` the rewritten document; (client, response), or the exit code once problems are reported
    (each with its file and line, a server's 400 included)."""
    pipeline = Path(path_text)
    if not pipeline.is_file():
        raise CommandError(f"{path_text}: no such file", exit_code=INVALID)
    try:
        document, index = load_document(pipeline.read_bytes(), filename=str(pipeline))
    except DefinitionError as error:
        return report_problems(error.problems, output=output)
    document = apply_overrides(document, assignments)
    plan = discover(document, base=pipeline.parent, index=index, filename=str(pipeline))
    if plan.problems:
        return report_problems(plan.problems, output=output)
    client = StudioClient.from_saved_login()
    uploader = Uploader(client, pipeline=pipeline, index=index)
    try:
        prepared = rewrite(document, plan, register=uploader.register, upload=uploader.upload)
        response = send(client, prepared)
        if response.status_code == 400:
            raise submit_problems(response, pipeline=pipeline, index=index)
    except ProblemsFound as found:
        return report_problems(found.problems, output=output, detail=found.summary)
    return client, response


def run_create(args) -> int:
    if args.name and not JOB_NAME.match(args.name):
        raise CommandError(f"--name {args.name!r}: up to 100 letters, digits, '-' and '_'", exit_code=INVALID)

    def submit(client: StudioClient, document: dict) -> requests.Response:
        return api_call(
            client,
            "POST",
            "jobs/",
            params={
                key: value
                for key, value in (("name", args.name), ("priority", args.priority))
                if value is not None
            }
            or None,
            data=json.dumps(document, default=str).encode(),
            headers={"Content-Type": "application/json"},
        )

    sent = send_pipeline(args.file, args.set or [], output=args.output, send=submit)
    if isinstance(sent, int):
        return sent
    client, response = sent
    job = checked(response).json()
    _warn_about(job.get("spec", {}).get("warnings", []), args.file)
    if not args.stream:
        emit(job, output=args.output, text=submitted_text(client, job))
        return 0
    print(submitted_text(client, job), file=sys.stderr if args.output == "json" else sys.stdout, flush=True)
    return stream(client, job["id"], output=args.output)


def _warn_about(warnings: list[dict], path_text: str) -> None:
    if warnings:
        pipeline = Path(path_text)
        document, index = load_document(pipeline.read_bytes(), filename=str(pipeline))
        print_warnings(warnings, pipeline=pipeline, index=index, conda_files=_conda_files(document, pipeline))


def _conda_files(document: dict, pipeline: Path) -> dict[str, tuple[Path, LineIndex]]:
    """The conda files the job names that `create` sent as their contents: the field they were
    sent at (`jobs.s.environment.conda_file`) -> the file here and its lines."""
    found: dict[str, tuple[Path, LineIndex]] = {}
    plan = discover(document, base=pipeline.parent, index=LineIndex(), filename=str(pipeline))
    for path, _ in plan.replacements:
        value = document
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, str):
            continue
        file = pipeline.parent / value.strip()
        try:
            _, lines = load_document(file.read_bytes(), filename=str(file))
        except (OSError, DefinitionError):
            lines = LineIndex()
        found[format_path(path)] = (file, lines)
    return found


def run_validate(args) -> int:
    """`studio job validate`: check a job file as `create` would, without running it."""

    def validate(client: StudioClient, document: dict) -> requests.Response:
        return api_call(
            client,
            "POST",
            "jobs/validate/",
            data=json.dumps(document, default=str).encode(),
            headers={"Content-Type": "application/json"},
        )

    sent = send_pipeline(args.file, args.set or [], output=args.output, send=validate)
    if isinstance(sent, int):
        return sent
    _, response = sent
    answer = checked(response).json()
    _warn_about(answer.get("warnings", []), args.file)
    steps = answer.get("steps", [])
    count = f"{len(steps)} step" + ("s" if len(steps) != 1 else "")
    warned = len(answer.get("warnings", []))
    text = f"{args.file}: valid ({count}: {', '.join(steps)})" + (
        f"; {warned} warning" + ("s" if warned != 1 else "") if warned else ""
    )
    emit(answer, output=args.output, text=text)
    return 0


def run_cancel(args) -> int:
    client = StudioClient.from_saved_login()
    job = client.request("POST", job_path(args.id, "cancel"))
    emit(job, output=args.output, text=f"Cancel requested for job {job['id']} ({job.get('status')})")
    return 0


def run_rerun(args) -> int:
    client = StudioClient.from_saved_login()
    job = client.request("POST", job_path(args.id, "rerun"))
    if not args.stream:
        emit(job, output=args.output, text=submitted_text(client, job, verb=f"Rerun of {args.id}: submitted"))
        return 0
    text = submitted_text(client, job, verb=f"Rerun of {args.id}: submitted")
    print(text, file=sys.stderr if args.output == "json" else sys.stdout, flush=True)
    return stream(client, job["id"], output=args.output)
