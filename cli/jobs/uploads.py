"""Registering local components and uploading local data before a pipeline is submitted."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import requests
import yaml

from cli.asset_verbs import INVALID, KINDS, UPLOAD_TIMEOUT, api_call, checked, collect_parts
from cli.client import StudioClient, describe_error
from cli.jobs.api import DOWNLOAD_CHUNK
from cli.jobs.discovery import LocalComponent, LocalData, discover, rewrite
from cli.jobs.problems import ProblemsFound, parse_field
from cli.output import CommandError
from cli.packing import MultipartBody, PackingError, Part, UploadProgress, format_size, pack_folder
from studio.schemas.loading import DefinitionError, LineIndex, Problem, format_path, load_document


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
            "components/?anonymous=true",  # the job's own: never a named version
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
        if document.get("type") == "pipeline" and local.file is not None:
            # its own local components and data go up first; the server gets their references
            document = self.prepared_pipeline_component(document, definition, index)
            raw = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
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
        shown = asset.get("display_name") or asset["name"]
        print(f"{done} anonymous component {shown} ({source})", file=sys.stderr)
        warnings = asset.get("warnings") or []
        for warning in self._located(warnings, document, definition, upload_name, prefix, index):
            print(f"warning: {warning}", file=sys.stderr)
        return reference

    def prepared_pipeline_component(self, document: dict, definition: Path, index: LineIndex) -> dict:
        """A pipeline component's document with its local components registered (anonymous, as a
        job's) and its local data uploaded, as `studio job create` does for a job's."""
        plan = discover(document, base=definition.parent, index=index, filename=str(definition))
        if plan.problems:
            raise ProblemsFound(plan.problems)
        inner = Uploader(self.client, pipeline=definition, index=index)
        return rewrite(document, plan, register=inner.register, upload=inner.upload)

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
        return self._located(body["problems"], document, definition, upload_name, prefix, index)

    def _located(
        self, items: list[dict], document: dict, definition: Path, upload_name: str, prefix, index
    ) -> list[Problem]:
        """The server's problems or warnings about a component it was sent, in the files here."""
        names = {upload_name: str(definition)}
        environment = document.get("environment")
        if isinstance(environment, dict) and isinstance(environment.get("conda_file"), str):
            conda = environment["conda_file"]
            names[conda] = str(definition.parent / conda)
        problems = []
        for item in items:
            file = str(item.get("file") or "")
            field_name = str(item.get("field") or "")
            line = item.get("line")
            if file == upload_name and (prefix or document.get("type") == "pipeline"):
                # an inline component (lines of the pipeline file), or a pipeline component sent
                # with its local parts replaced (lines of its file here)
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
