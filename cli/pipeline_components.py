"""`studio component create` of a pipeline component: its local parts go up first.

A pipeline component's jobs may name local component files and local data, which the server
cannot read: they are registered (anonymously, as a job's own) and uploaded first, as `studio job
create` does for a job, and the server is sent the component with their references.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cli.asset_verbs import report_problems
from cli.client import StudioClient
from cli.jobs.problems import ProblemsFound
from cli.jobs.uploads import Uploader
from studio.schemas.loading import LineIndex


def prepare_pipeline_component(
    document: dict, definition: Path, index: LineIndex, *, output: str
) -> tuple[dict, bytes] | int:
    """(the document to send, its text), or the exit code once problems are reported."""
    uploader = Uploader(StudioClient.from_saved_login(), pipeline=definition, index=index)
    try:
        prepared = uploader.prepared_pipeline_component(document, definition, index)
    except ProblemsFound as found:
        return report_problems(found.problems, output=output, detail=found.summary)
    return prepared, yaml.safe_dump(prepared, sort_keys=False, allow_unicode=True).encode()
