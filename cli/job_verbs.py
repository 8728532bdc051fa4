"""Job verbs: `studio job create|show|list|stream|cancel|rerun|download`, like `az ml job`.

`create --file pipeline.yml` reads the pipeline locally, applies `--set PATH=VALUE` overrides,
registers the local components it names (as `studio component create` would) and uploads its
local data as snapshots, then submits the rewritten document as JSON: the server only ever sees
registered references (`azureml:NAME:VERSION`, `studio://snapshots/…`), never local paths.
"""

from __future__ import annotations

import copy
import json
import math
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote

import requests
import yaml

from cli.asset_verbs import (
    INVALID,
    KINDS,
    UPLOAD_TIMEOUT,
    api_call,
    checked,
    collect_parts,
    format_time,
    key_value_lines,
)
from cli.client import StudioClient, describe_error
from cli.output import CommandError, add_output_option, emit
from cli.packing import MultipartBody, PackingError, Part, UploadProgress, format_size, pack_folder
from cli.table import render_table
from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path, load_document

POLL_SECONDS = 0.5
FINAL_DRAIN_SECONDS = 10.0
QUIET_POLLS_BEFORE_CHECK = 20  # with no events for this many polls, ask the job itself
JOB_TERMINAL = ("Completed", "Failed", "Canceled")
JOB_STATUSES = ("NotStarted", "Queued", "Running", "CancelRequested", "Completed", "Failed", "Canceled")
STEP_TERMINAL = ("Completed", "Failed", "Canceled", "Skipped")
JOB_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
SERVER_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # step and output names the API routes accept
REMOTE_DATA = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|azureml:)")
DOWNLOAD_CHUNK = 256 * 1024
REASON_CHARS = 200


class ProblemsFound(Exception):
    """Problems of the pipeline (or of a component it registers), each with its file and line."""

    def __init__(self, problems: list[Problem], detail: str = "") -> None:
        super().__init__(detail or (str(problems[0]) if problems else "invalid pipeline"))
        self.problems = problems
        self.detail = detail


def report_problems(problems: list[Problem], *, output: str, detail: str = "") -> int:
    """Print every problem as `file:line: field: message` (or as JSON) and return exit code 2."""
    if output == "json":
        body = {"error": detail or str(problems[0]), "problems": [p.as_dict() for p in problems]}
        print(json.dumps(body, indent=2), file=sys.stderr)
        return INVALID
    for problem in problems:
        print(str(problem), file=sys.stderr)
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    print(f"studio: not submitted ({count})", file=sys.stderr)
    return INVALID


def one_line(text: Any, limit: int = REASON_CHARS) -> str:
    """A status reason on one line, cut with an ellipsis (`studio job show` and the logs have it all)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def job_path(name: str, *rest: str) -> str:
    """The API path of a job (or of something under it), each segment quoted."""
    return "/".join(["jobs", *(quote(str(part), safe="") for part in (name, *rest))]) + "/"


def parse_field(text: str) -> tuple[str | int, ...]:
    """`jobs.train.inputs[0].x` (a field name from an API problem) as a path tuple."""
    path: list[str | int] = []
    for segment in text.split("."):
        match = re.match(r"^([^\[]*)((?:\[\d+\])*)$", segment)
        if match is None:
            path.append(segment)
            continue
        if match[1]:
            path.append(match[1])
        path += [int(number) for number in re.findall(r"\[(\d+)\]", match[2])]
    return tuple(path)


# --- --set PATH=VALUE --------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A `--set` value as a YAML scalar: true/false, whole and decimal numbers, null; else the text."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if text.strip() == "":
        return text
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else text
    return text if not isinstance(value, str) else value


def parse_assignment(text: str) -> tuple[tuple[str, ...], Any]:
    """`a.b.c=VALUE` as (("a", "b", "c"), parsed value); CommandError (exit 2) when malformed."""
    path_text, equals, value_text = text.partition("=")
    path = tuple(part.strip() for part in path_text.strip().split("."))
    if not equals or not path_text.strip() or any(not part for part in path):
        raise CommandError(f"--set {text!r}: expected PATH=VALUE, e.g. inputs.lr=0.5", exit_code=INVALID)
    return path, parse_value(value_text)


def apply_overrides(document: dict, assignments: list[str]) -> dict:
    """The document with every `--set PATH=VALUE` applied, creating missing mappings on the way."""
    for assignment in assignments:
        path, value = parse_assignment(assignment)
        node: Any = document
        for depth, key in enumerate(path[:-1]):
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif not isinstance(child, dict):
                where = ".".join(path[: depth + 1])
                raise CommandError(
                    f"--set {assignment!r}: {where} is {child!r}, not a mapping", exit_code=INVALID
                )
            node = child
        node[path[-1]] = value
    return document


# --- Finding local components and data ---------------------------------------------------------


@dataclass(frozen=True)
class LocalComponent:
    """A step's component that lives on this machine: a YAML file or an inline definition."""

    job: str
    field: tuple[str, ...]  # ("jobs", job, "component")
    file: Path | None = None
    inline: dict | None = None


@dataclass(frozen=True)
class LocalData:
    """A data input whose path lives on this machine, and how it goes up."""

    field: tuple[str, ...]  # the path of its `path` key
    value: str
    target: Path
    kind: str  # "file" or "folder"


@dataclass
class Plan:
    """What `create` registers and uploads before submitting, or the problems that stop it."""

    components: list[LocalComponent] = field(default_factory=list)
    data: list[LocalData] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def is_local_component_file(value: Any) -> bool:
    """A `component:` string naming a YAML file here rather than a registered component."""
    return (
        isinstance(value, str)
        and value.strip().endswith((".yml", ".yaml"))
        and not value.strip().startswith("azureml:")
        and "://" not in value
    )


def is_local_data(value: Any) -> bool:
    """A data `path:` on this machine: not a URL, registered asset, snapshot or server path."""
    if not isinstance(value, str) or not value.strip() or "${{" in value:
        return False
    text = value.strip()
    return not REMOTE_DATA.match(text) and not Path(text).is_absolute()


def _inline_has_local_files(component: dict) -> bool:
    environment = component.get("environment")
    environment_local = isinstance(environment, dict) and (
        is_local_data(environment.get("conda_file"))
        or (isinstance(environment.get("build"), dict) and is_local_data(environment["build"].get("path")))
    )
    return is_local_data(component.get("code")) or environment_local


def _data_inputs(document: dict) -> list[tuple[tuple[str, ...], dict]]:
    found = []
    inputs = document.get("inputs")
    if isinstance(inputs, dict):
        found += [(("inputs", str(name)), value) for name, value in inputs.items() if isinstance(value, dict)]
    jobs = document.get("jobs")
    for job, step in jobs.items() if isinstance(jobs, dict) else []:
        step_inputs = step.get("inputs") if isinstance(step, dict) else None
        if isinstance(step_inputs, dict):
            found += [
                (("jobs", str(job), "inputs", str(name)), value)
                for name, value in step_inputs.items()
                if isinstance(value, dict)
            ]
    return found


def discover(document: dict, *, base: Path, index: LineIndex, filename: str) -> Plan:
    """The local components and data of a pipeline document, checked to exist."""
    plan = Plan()

    def problem(path: tuple, message: str) -> None:
        plan.problems.append(Problem(filename, format_path(path), message, index.line_of(path)))

    jobs = document.get("jobs")
    for job, step in jobs.items() if isinstance(jobs, dict) else []:
        if not isinstance(step, dict):
            continue
        component = step.get("component")
        path = ("jobs", str(job), "component")
        if is_local_component_file(component):
            file = base / component.strip()
            if not file.is_file():
                problem(path, f"{component!r} does not exist (looked for {file})")
                continue
            plan.components.append(LocalComponent(str(job), path, file=file))
        elif isinstance(component, dict) and _inline_has_local_files(component):
            plan.components.append(LocalComponent(str(job), path, inline=component))

    for path, value in _data_inputs(document):
        location = value.get("path")
        if not is_local_data(location):
            continue
        field_path = (*path, "path")
        target = base / location.strip()
        data_type = value.get("type")
        if not target.exists():
            problem(field_path, f"{location!r} does not exist (looked for {target})")
            continue
        if data_type == "uri_file" and not target.is_file():
            problem(field_path, f"{location!r} is a folder; a uri_file input needs a file")
            continue
        if data_type is not None and data_type != "uri_file" and not target.is_dir():
            problem(field_path, f"{location!r} is a file; a {data_type} input needs a folder")
            continue
        kind = "file" if target.is_file() else "folder"
        plan.data.append(LocalData(field_path, location, target, kind))
    return plan


def _set_at(document: dict, path: tuple, value: Any) -> None:
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def rewrite(
    document: dict,
    plan: Plan,
    *,
    register: Callable[[LocalComponent], str],
    upload: Callable[[LocalData], str],
) -> dict:
    """A copy of the document with local components and data replaced by their references.

    `register` returns `azureml:NAME:VERSION` for a component, `upload` a `studio://snapshots/…`
    reference for data; each distinct local file or folder goes up once.
    """
    result = copy.deepcopy(document)
    registered: dict[Path, str] = {}
    for component in plan.components:
        if component.file is not None:
            key = component.file.resolve()
            if key not in registered:
                registered[key] = register(component)
            reference = registered[key]
        else:
            reference = register(component)
        _set_at(result, component.field, reference)
    uploaded: dict[tuple[Path, str], str] = {}
    for data in plan.data:
        key = (data.target.resolve(), data.kind)
        if key not in uploaded:
            uploaded[key] = upload(data)
        _set_at(result, data.field, uploaded[key])
    return result


# --- Registering components and uploading data -------------------------------------------------


def _sub_index(index: LineIndex, prefix: tuple) -> LineIndex:
    """The lines of the fields under `prefix`, with paths relative to it."""
    size = len(prefix)
    return LineIndex({path[size:]: line for path, line in index.lines.items() if path[:size] == prefix})


class Uploader:
    """Registers local components and uploads local data for one pipeline, reporting on stderr."""

    def __init__(self, client: StudioClient, *, pipeline: Path, index: LineIndex) -> None:
        self.client = client
        self.pipeline = pipeline
        self.index = index

    def _post_component(
        self, raw: bytes, upload_name: str, parts: list[Part], label: str
    ) -> requests.Response:
        body_parts = [Part("file", upload_name, raw, "application/yaml"), *parts]
        total = sum(part.size() for part in body_parts)
        body = MultipartBody(body_parts, on_progress=UploadProgress(label, total))
        return api_call(
            self.client,
            "POST",
            "components/",
            data=body,
            headers={"Content-Type": body.content_type},
            timeout=UPLOAD_TIMEOUT,
        )

    def register(self, local: LocalComponent) -> str:
        """Register a local component the way `studio component create` does; its reference."""
        kind = KINDS["component"]
        if local.file is not None:
            definition, raw = local.file, local.file.read_bytes()
            try:
                document, index = load_document(raw, filename=str(definition))
            except DefinitionError as error:
                raise ProblemsFound(error.problems) from None
            filename, upload_name, prefix = str(definition), definition.name, ()
        else:
            document = {"name": f"{local.job}_component", **(local.inline or {})}
            raw = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
            definition, index = self.pipeline, _sub_index(self.index, local.field)
            filename, upload_name, prefix = str(self.pipeline), f"{document['name']}.yml", local.field
        parts, problems, opened = collect_parts(
            kind, document, index, definition=definition, filename=filename
        )
        try:
            if problems:
                raise ProblemsFound([self._prefixed(p, prefix) for p in problems])
            label = f"component of {format_path(local.field)}"
            response = self._post_component(raw, upload_name, parts, label)
        finally:
            for stream in opened:
                stream.close()
        if response.status_code == 400:
            raise ProblemsFound(
                self._server_problems(response, document, definition, upload_name, prefix, index)
            )
        asset = checked(response).json()
        reference = f"azureml:{asset['name']}:{asset['version']}"
        done = "Registered" if response.status_code == 201 else "Using the identical"
        source = local.file if local.file is not None else format_path(local.field)
        print(f"{done} component {asset['name']}:{asset['version']} ({source})", file=sys.stderr)
        return reference

    def _prefixed(self, problem: Problem, prefix: tuple) -> Problem:
        if not prefix:
            return problem
        field_name = ".".join(part for part in (format_path(prefix), problem.field) if part)
        return Problem(problem.file, field_name, problem.message, problem.line)

    def _server_problems(
        self, response: requests.Response, document: dict, definition: Path, upload_name: str, prefix, index
    ) -> list[Problem]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("problems"):
            raise CommandError(describe_error(response), exit_code=INVALID)
        names = {upload_name: str(definition)}
        environment = document.get("environment")
        if isinstance(environment, dict) and isinstance(environment.get("conda_file"), str):
            conda = environment["conda_file"]
            names[conda] = str(definition.parent / conda)
        problems = []
        for item in body["problems"]:
            file = str(item.get("file") or "")
            field_name = str(item.get("field") or "")
            line = item.get("line")
            if prefix and file == upload_name:  # an inline component: lines of the pipeline file
                line = index.line_of(parse_field(field_name)) if field_name else None
            problem = Problem(
                names.get(file, file or str(definition)), field_name, str(item.get("message")), line
            )
            problems.append(self._prefixed(problem, prefix) if file == upload_name else problem)
        return problems

    def upload(self, data: LocalData) -> str:
        """Upload a file or folder as a snapshot; its `studio://snapshots/…` reference."""
        if data.kind == "folder":
            try:
                stream: IO[bytes] = pack_folder(data.target)
            except PackingError as error:
                raise ProblemsFound([self._problem(data.field, str(error))]) from None
            upload_name, content_type = f"{data.target.name or 'folder'}.tar.gz", "application/gzip"
        else:
            stream = data.target.open("rb")
            upload_name, content_type = data.target.name, "application/octet-stream"
        try:
            inner = MultipartBody([Part("file", upload_name, stream, content_type)])
            inner.on_progress = UploadProgress(data.value, len(inner))
            body = FieldsThenParts({"kind": data.kind}, inner)
            response = api_call(
                self.client,
                "POST",
                "snapshots/",
                data=body,
                headers={"Content-Type": body.content_type},
                timeout=UPLOAD_TIMEOUT,
            )
        finally:
            stream.close()
        if response.status_code == 400:
            try:
                detail = response.json().get("detail", "")
            except (ValueError, AttributeError):
                detail = describe_error(response)
            raise ProblemsFound([self._problem(data.field, f"{data.value!r} was refused: {detail}")])
        snapshot = checked(response).json()
        size = snapshot.get("size_bytes")
        extent = f", {format_size(size)}" if isinstance(size, (int, float)) else ""
        print(f"Uploaded {data.value} as {snapshot['reference']}{extent}", file=sys.stderr)
        return snapshot["reference"]

    def _problem(self, path: tuple, message: str) -> Problem:
        return Problem(str(self.pipeline), format_path(path), message, self.index.line_of(path))


class FieldsThenParts:
    """A multipart body: plain form fields (which MultipartBody cannot send) before its file parts."""

    def __init__(self, fields: dict[str, str], body: MultipartBody) -> None:
        self.body = body
        self._head = b"".join(
            f'--{body.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        self._offset = 0

    @property
    def content_type(self) -> str:
        return self.body.content_type

    def __len__(self) -> int:
        return len(self._head) + len(self.body)

    def __iter__(self):
        while True:
            chunk = self.read(DOWNLOAD_CHUNK)
            if not chunk:
                return
            yield chunk

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self)
        head = self._head[self._offset : self._offset + size]
        self._offset += len(head)
        rest = self.body.read(size - len(head)) if size > len(head) else b""
        return head + rest


# --- Showing jobs ------------------------------------------------------------------------------


def job_url(client: StudioClient, job: dict) -> str:
    """The job's page in the web UI."""
    path = job.get("url") or f"/jobs/{job.get('id') or job.get('name')}/"
    return f"{client.config.url}{path}" if path.startswith("/") else path


def submitted_text(client: StudioClient, job: dict, *, verb: str = "Submitted") -> str:
    return f"{verb} job {job['id']} ({job.get('status')}) — {job_url(client, job)}"


def step_rows(job: dict) -> list[list[Any]]:
    return [
        [
            step.get("name"),
            step.get("status"),
            step.get("attempt"),
            step.get("exit_code"),
            step.get("reused_from"),
        ]
        for step in job.get("steps") or []
    ]


def describe_job(client: StudioClient, job: dict) -> str:
    status = job.get("status") or ""
    if job.get("status_reason"):
        status = f"{status}: {one_line(job['status_reason'], 500)}"
    created = format_time(job.get("created_at"))
    if job.get("created_by"):
        created = f"{created} by {job['created_by']}"
    head = key_value_lines(
        [
            ("Job", job.get("id")),
            ("Display name", job.get("display_name")),
            ("Experiment", job.get("experiment_name")),
            ("Status", status),
            ("Created", created),
            ("Started", format_time(job.get("started_at"))),
            ("Finished", format_time(job.get("finished_at"))),
            ("URL", job_url(client, job)),
        ]
    )
    table = render_table(["NAME", "STATUS", "ATTEMPTS", "EXIT", "REUSED_FROM"], step_rows(job), max_width=60)
    reasons = [
        f"  {step['name']}: {one_line(step['status_reason'], 500)}"
        for step in job.get("steps") or []
        if step.get("status_reason") and step.get("status") != "Completed"
    ]
    return "\n\n".join(part for part in (head, table, "\n".join(reasons)) if part)


def run_show(args) -> int:
    client = StudioClient.from_saved_login()
    job = client.request("GET", job_path(args.id))
    emit(job, output=args.output, text=describe_job(client, job))
    return 0


def job_status(text: str) -> str:
    """A job status in any letter case (`completed`, `not_started`), spelled as the API does."""
    wanted = text.strip().lower().replace("_", "").replace("-", "")
    for status in JOB_STATUSES:
        if status.lower() == wanted:
            return status
    raise CommandError(f"--status {text!r}: one of {', '.join(JOB_STATUSES)}", exit_code=INVALID)


def _step_count(steps) -> int:
    """A list row's `steps`: a count (rows), or the steps themselves (a whole job)."""
    return steps if isinstance(steps, int) else len(steps or [])


def run_list(args) -> int:
    client = StudioClient.from_saved_login()
    params: dict[str, Any] = {}
    if args.status:
        params["status"] = job_status(args.status)
    if args.experiment:
        params["experiment_name"] = args.experiment
    if args.created_by:
        params["created_by"] = args.created_by
    limit = max(1, args.max_results)
    jobs: list[dict] = []
    page = 1
    while len(jobs) < limit:
        body = client.request("GET", "jobs/", params={**params, "page": page, "page_size": min(limit, 500)})
        if isinstance(body, list):
            jobs.extend(body)
            break
        jobs.extend(body.get("results", []))
        if not body.get("next"):
            break
        page += 1
    jobs = jobs[:limit]
    if args.output == "json":
        emit(jobs, output="json", text="")
        return 0
    if not jobs:
        print("No jobs found.")
        return 0
    rows = [
        [
            job.get("id"),
            job.get("status"),
            job.get("experiment_name"),
            job.get("display_name"),
            _step_count(job.get("steps")),
            format_time(job.get("created_at")),
        ]
        for job in jobs
    ]
    print(render_table(["NAME", "STATUS", "EXPERIMENT", "DISPLAY_NAME", "STEPS", "CREATED"], rows))
    return 0


# --- Streaming ---------------------------------------------------------------------------------


class Follower:
    """Prints a job's live events (status changes and log lines) until the job ends.

    It reads `GET /api/v1/jobs/<name>/events/?after=<seq>`, the same sequenced events the job's
    websocket carries, from the first one on: every status change and log line is printed once,
    in the order it happened, and a server restart or a dropped connection loses nothing (the
    next request asks for what came after the last event printed).
    """

    def __init__(
        self,
        client: StudioClient,
        name: str,
        *,
        out: IO[str] | None = None,
        interval: float = POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.name = name
        self.out = out or sys.stdout
        self.interval = interval
        self.sleep = sleep
        self.after = 0  # the newest event seq handled
        self.seen: dict[str, tuple[Any, Any]] = {}
        self.offsets: dict[str, int] = {}
        self.job_status: str | None = None
        self.ended: dict | None = None  # the job event that ended the job
        self.width = 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def stamp(self) -> str:
        return time.strftime("%H:%M:%S")

    def get(self, path: str, params: dict | None = None) -> Any:
        """GET with a few retries on connection trouble and 5xx, so a server restart does not end it."""
        for attempt in range(20):
            try:
                response = api_call(self.client, "GET", path, params=params)
            except CommandError:
                if attempt == 19:
                    raise
                self.sleep(min(0.5 * (attempt + 1), 3))
                continue
            if response.status_code >= 500 and attempt < 19:
                self.sleep(min(0.5 * (attempt + 1), 3))
                continue
            return checked(response).json()
        raise CommandError(f"cannot follow job {self.name}")  # pragma: no cover

    def fetch(self) -> list[dict]:
        """The events after the last one handled (every page of them)."""
        frames: list[dict] = []
        while True:
            body = self.get(job_path(self.name, "events"), {"after": self.after})
            page = [frame for frame in body.get("events") or [] if int(frame.get("seq", 0)) > self.after]
            frames += page
            if page:
                self.after = max(self.after, *(int(frame["seq"]) for frame in page))
            if not body.get("more") or not page:
                return frames

    def status_line(self, step: dict) -> str:
        text = f"[{self.stamp()}] {step.get('step') or step.get('name')}: {step.get('status')}"
        extras = []
        if (step.get("attempt") or 0) > 1:
            extras.append(f"attempt {step['attempt']}")
        if step.get("reused_from"):
            extras.append(f"reused from {step['reused_from']}")
        if step.get("exit_code") not in (None, 0) and step.get("status") in STEP_TERMINAL:
            extras.append(f"exit code {step['exit_code']}")
        if extras:
            text += f" ({', '.join(extras)})"
        if step.get("status_reason") and step.get("status") in ("Failed", "Canceled", "Skipped"):
            text += f" — {one_line(step['status_reason'])}"
        return text

    def show(self, frame: dict) -> None:
        """Print one event: a job or step status change, or log lines (metric events are the
        `##studio[metric …]` lines already printed)."""
        kind = frame.get("type")
        if kind == "job":
            status = frame.get("status")
            if status in JOB_TERMINAL:
                self.ended = frame
            elif status != self.job_status:
                self.say(f"[{self.stamp()}] job {self.name}: {status}")
            self.job_status = status
        elif kind == "step":
            name = str(frame.get("step"))
            key = (frame.get("status"), frame.get("attempt"))
            if self.seen.get(name) != key:
                self.say(self.status_line(frame))
            self.seen[name] = key
        elif kind == "log":
            step = str(frame.get("step"))
            self.width = max(self.width, len(step))
            for entry in frame.get("lines") or []:
                seq = int(entry.get("seq", 0))
                if seq <= self.offsets.get(step, 0):
                    continue  # never print a line twice
                self.offsets[step] = seq
                self.say(f"{step:<{self.width}} | {entry.get('line', '')}")

    def follow(self) -> dict:
        """Print events until the job ends, then its last lines and final status; the ended job."""
        job = self.get(job_path(self.name))
        self.width = max([self.width, *(len(step["name"]) for step in job.get("steps") or [])])
        quiet = 0
        while self.ended is None:
            frames = self.fetch()
            for frame in frames:
                self.show(frame)
            quiet = 0 if frames else quiet + 1
            if self.ended is None and quiet and quiet % QUIET_POLLS_BEFORE_CHECK == 0:
                job = self.get(job_path(self.name))  # an ended job whose events are not kept
                if job.get("status") in JOB_TERMINAL:
                    self.ended = job
            if self.ended is None:
                self.sleep(self.interval)
        # Studio's last notes of a step come just after the job's end: wait until it is quiet.
        waited = 0.0
        while waited < FINAL_DRAIN_SECONDS:
            self.sleep(self.interval)
            waited += self.interval
            frames = self.fetch()
            if not frames:
                break
            for frame in frames:
                self.show(frame)
        job = self.get(job_path(self.name))
        status = job.get("status") or self.ended.get("status")
        line = f"[{self.stamp()}] Job {self.name} {status}"
        reason = job.get("status_reason") or self.ended.get("status_reason")
        if reason:
            line += f": {one_line(reason)}"
        self.say(line)
        return job


def stream(client: StudioClient, name: str, *, output: str = "text") -> int:
    """Follow a job to its end; 0 when it completed, 1 when it failed or was canceled."""
    out = sys.stderr if output == "json" else sys.stdout
    try:
        job = Follower(client, name, out=out).follow()
    except KeyboardInterrupt:
        print(
            f"\nStopped streaming; job {name} keeps running.\n"
            f"  Follow it again: studio job stream {name}\n"
            f"  Cancel it:       studio job cancel {name}",
            file=sys.stderr,
        )
        return 130
    if output == "json":
        emit(job, output="json", text="")
    return 0 if job.get("status") == "Completed" else 1


def run_stream(args) -> int:
    client = StudioClient.from_saved_login()
    client.request("GET", job_path(args.id))  # an unknown job stops here with the API's message
    return stream(client, args.id, output=args.output)


# --- create, cancel, rerun ---------------------------------------------------------------------


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
        return report_problems(found.problems, output=output, detail=found.detail)
    return client, response


def run_create(args) -> int:
    if args.name and not JOB_NAME.match(args.name):
        raise CommandError(f"--name {args.name!r}: up to 100 letters, digits, '-' and '_'", exit_code=INVALID)

    def submit(client: StudioClient, document: dict) -> requests.Response:
        return api_call(
            client,
            "POST",
            "jobs/",
            params={"name": args.name} if args.name else None,
            data=json.dumps(document, default=str).encode(),
            headers={"Content-Type": "application/json"},
        )

    sent = send_pipeline(args.file, args.set or [], output=args.output, send=submit)
    if isinstance(sent, int):
        return sent
    client, response = sent
    job = checked(response).json()
    if not args.stream:
        emit(job, output=args.output, text=submitted_text(client, job))
        return 0
    print(submitted_text(client, job), file=sys.stderr if args.output == "json" else sys.stdout, flush=True)
    return stream(client, job["id"], output=args.output)


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


# --- download ----------------------------------------------------------------------------------


def safe_target(root: Path, step: str, output: str, relative: str) -> Path:
    """Where a server-named file goes under ROOT/step/output; CommandError when it would escape."""
    for label, name in (("step", step), ("output", output)):
        if not SERVER_NAME.match(name):
            raise CommandError(f"the server named a {label} {name!r}; refusing to write it")
    parts = PurePosixPath(relative).parts
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or "\x00" in relative
        or any(part in ("..", ".", "") for part in parts)
    ):
        raise CommandError(f"the server named a file {relative!r} in {step}/{output}; refusing to write it")
    base = (root / step / output).resolve()
    target = (base / Path(*parts)).resolve()
    if base not in target.parents:
        raise CommandError(f"{relative!r} would land outside {base}; refusing to write it")
    return target


def download_file(client: StudioClient, path: str, target: Path) -> int:
    """Fetch one file to `target` (through a .part file); its size in bytes."""
    response = checked(
        api_call(client, "GET", path, stream=True, headers={"Accept": "*/*"}, timeout=UPLOAD_TIMEOUT)
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    size = 0
    try:
        with partial.open("wb") as handle:
            for chunk in response.iter_content(DOWNLOAD_CHUNK):
                handle.write(chunk)
                size += len(chunk)
        partial.replace(target)
    except requests.RequestException as error:
        partial.unlink(missing_ok=True)
        raise CommandError(f"download of {path} broke off: {error}") from None
    finally:
        response.close()
    return size


def run_download(args) -> int:
    client = StudioClient.from_saved_login()
    job = client.request("GET", job_path(args.id))
    steps = [step["name"] for step in job.get("steps") or []]
    if args.step:
        if args.step not in steps:
            raise CommandError(f"job {args.id} has no step {args.step!r}; its steps: {', '.join(steps)}")
        steps = [args.step]
    root = Path(args.path)
    downloaded: list[dict] = []
    outputs_seen: set[str] = set()
    for step in steps:
        listing = client.request("GET", job_path(args.id, "steps", step, "outputs"))
        for output, info in (listing or {}).items():
            outputs_seen.add(output)
            if args.output_name and output != args.output_name:
                continue
            for entry in (info or {}).get("files") or []:
                relative = str(entry.get("path") or "")
                target = safe_target(root, step, output, relative)
                remote = job_path(args.id, "steps", step, "outputs", output).rstrip("/")
                remote += "/" + "/".join(quote(part, safe="") for part in PurePosixPath(relative).parts)
                size = download_file(client, remote, target)
                downloaded.append(
                    {"step": step, "output": output, "path": relative, "size": size, "file": str(target)}
                )
                if args.output != "json":
                    print(f"{step}/{output}/{relative} ({format_size(size)})")
    if args.output_name and args.output_name not in outputs_seen:
        where = f"step {args.step}" if args.step else f"job {args.id}"
        raise CommandError(
            f"{where} has no output {args.output_name!r}; outputs: {', '.join(sorted(outputs_seen))}"
        )
    if args.output == "json":
        emit(downloaded, output="json", text="")
        return 0
    if not downloaded:
        state = "" if job.get("status") in JOB_TERMINAL else f" (the job is {job.get('status')})"
        print(f"No output files to download{state}.")
        return 0
    total = sum(item["size"] for item in downloaded)
    print(f"Downloaded {len(downloaded)} file(s), {format_size(total)}, to {root.resolve()}")
    return 0


# --- The parser --------------------------------------------------------------------------------


def register(verbs) -> None:
    """Add `job` and its subverbs to the `studio` parser."""
    parser = verbs.add_parser("job", help="submit, follow, inspect, cancel and download pipeline jobs")
    subverbs = parser.add_subparsers(dest="subverb", metavar="SUBVERB", required=True)

    create = subverbs.add_parser("create", help="submit a pipeline job from its YAML, uploading local files")
    create.add_argument("--file", "-f", required=True, help="the pipeline job YAML")
    create.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="override a field before submitting, e.g. inputs.lr=0.5 or jobs.train.compute=local "
        "(repeatable; values read as YAML scalars)",
    )
    create.add_argument("--name", "-n", help="the job's name (default: a generated one)")
    create.add_argument("--stream", "-s", action="store_true", help="follow status and logs until it ends")
    add_output_option(create)
    create.set_defaults(run=run_create)

    show = subverbs.add_parser("show", help="a job's status and its steps")
    show.add_argument("id", metavar="NAME")
    add_output_option(show)
    show.set_defaults(run=run_show)

    listing = subverbs.add_parser("list", help="jobs, newest first")
    listing.add_argument("--status", help=f"only jobs with this status ({', '.join(JOB_STATUSES)})")
    listing.add_argument("--experiment", "-e", help="only jobs of this experiment")
    listing.add_argument("--created-by", help="only jobs submitted by this user")
    listing.add_argument("--max-results", "-r", type=int, default=100, help="at most this many (default 100)")
    add_output_option(listing)
    listing.set_defaults(run=run_list)

    follow = subverbs.add_parser("stream", help="follow a job's status and logs until it ends")
    follow.add_argument("id", metavar="NAME")
    add_output_option(follow)
    follow.set_defaults(run=run_stream)

    cancel = subverbs.add_parser("cancel", help="stop a job: running steps are stopped, nothing new starts")
    cancel.add_argument("id", metavar="NAME")
    add_output_option(cancel)
    cancel.set_defaults(run=run_cancel)

    again = subverbs.add_parser("rerun", help="submit a job's pipeline again; unchanged steps are reused")
    again.add_argument("id", metavar="NAME")
    again.add_argument("--stream", "-s", action="store_true", help="follow the new job until it ends")
    add_output_option(again)
    again.set_defaults(run=run_rerun)

    download = subverbs.add_parser("download", help="download the output files of a job's steps")
    download.add_argument("id", metavar="NAME")
    download.add_argument("--step", help="only this step")
    download.add_argument("--output-name", help="only this output")
    download.add_argument(
        "--path", "-p", default=".", help="the folder to download into, as PATH/<step>/<output>/… (default .)"
    )
    add_output_option(download)
    download.set_defaults(run=run_download)
