"""Showing jobs: `studio job show` and `studio job list`."""

from __future__ import annotations

from typing import Any

from cli.asset_verbs import INVALID, format_time, key_value_lines
from cli.client import StudioClient
from cli.jobs.api import JOB_STATUSES, job_path
from cli.output import CommandError, emit
from cli.table import render_table

REASON_CHARS = 200


def one_line(text: Any, limit: int = REASON_CHARS) -> str:
    """A status reason on one line, cut with an ellipsis (`studio job show` and the logs have it all)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


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
