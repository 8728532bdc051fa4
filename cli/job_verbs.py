"""The `studio job` verbs' parser: `create|validate|show|list|stream|cancel|rerun|download`
(their code is in `cli/jobs/`)."""

from __future__ import annotations

from cli.jobs.api import JOB_STATUSES
from cli.jobs.download import run_download
from cli.jobs.show import run_list, run_show
from cli.jobs.streaming import run_stream
from cli.jobs.submit import run_cancel, run_create, run_rerun, run_validate
from cli.output import add_output_option


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
    create.add_argument(
        "--priority",
        type=int,
        help="-100 to 100 (default 0): queued steps of higher-priority jobs start first",
    )
    create.add_argument("--stream", "-s", action="store_true", help="follow status and logs until it ends")
    add_output_option(create)
    create.set_defaults(run=run_create)

    validate = subverbs.add_parser(
        "validate", help="check a job's YAML as create would, without running it: problems and warnings"
    )
    validate.add_argument("--file", "-f", required=True, help="the job YAML (a pipeline or a command job)")
    validate.add_argument("--set", action="append", metavar="PATH=VALUE", help="as for create")
    add_output_option(validate)
    validate.set_defaults(run=run_validate)

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
