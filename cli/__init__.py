"""The `studio` command: run the server and worker, and talk to a Studio over its REST API.

Server verbs (`up`, `serve`, `worker`, `image`, `manage`) run Django in this process; client
verbs (`login`, `whoami`, and the asset, job and endpoint verbs of later issues) call the REST API
with the token from `studio login` or STUDIO_URL / STUDIO_TOKEN.
"""

from __future__ import annotations

import argparse
import os
import sys

from cli import (
    asset_verbs,
    client_verbs,
    compute_verbs,
    datastore_verbs,
    endpoint_verbs,
    job_verbs,
    model_verbs,
    pipeline_components,
    server_verbs,
    setup_verb,
    user_verbs,
)
from cli.output import CommandError, fail


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every verb."""
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Studio: machine-learning pipelines on your own machines.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    server_verbs.register(verbs)
    setup_verb.register(verbs)
    client_verbs.register(verbs)
    asset_verbs.register(verbs, prepare_pipeline_component=pipeline_components.prepare_pipeline_component)
    model_verbs.register(verbs)
    datastore_verbs.register(verbs)
    compute_verbs.register(verbs)
    job_verbs.register(verbs)
    endpoint_verbs.register(verbs)
    user_verbs.register(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `studio` console script."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CommandError as error:
        return fail(str(error), code=error.exit_code, output=getattr(args, "output", "text"))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
