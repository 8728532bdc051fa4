"""`studio setup`: the one-shot start of a production Studio (the `init` service of compose.yaml).

It applies migrations, seeds the built-in library, creates or updates the administrator
(STUDIO_ADMIN_USER; STUDIO_ADMIN_PASSWORD, or the file STUDIO_ADMIN_PASSWORD_FILE names, such as
a compose secret) and registers the computes (`local`, and `docker` when its engine answers).
Every part is a no-op when already done, so it runs at every start of the stack.
"""

from __future__ import annotations

import os
from pathlib import Path

from cli.output import CommandError
from cli.server_verbs import prepare_database, setup_django


def admin_password_from_file() -> None:
    """Put the password STUDIO_ADMIN_PASSWORD_FILE holds into STUDIO_ADMIN_PASSWORD (read by ensure_admin)."""
    name = os.environ.get("STUDIO_ADMIN_PASSWORD_FILE", "").strip()
    if not name:
        return
    if os.environ.get("STUDIO_ADMIN_PASSWORD"):
        raise CommandError(
            "STUDIO_ADMIN_PASSWORD and STUDIO_ADMIN_PASSWORD_FILE are both set: set only one", exit_code=2
        )
    try:
        password = Path(name).read_text().rstrip("\r\n")
    except OSError as error:
        raise CommandError(
            f"STUDIO_ADMIN_PASSWORD_FILE: cannot read {name}: {error.strerror}", exit_code=2
        ) from None
    if not password:
        raise CommandError(f"STUDIO_ADMIN_PASSWORD_FILE: {name} is empty", exit_code=2)
    os.environ["STUDIO_ADMIN_PASSWORD"] = password


def run_setup(args) -> int:
    """Migrate, seed, make sure the administrator exists, register the computes."""
    admin_password_from_file()
    setup_django()
    from runner.computes import register_available_computes
    from studio.accounts import ensure_admin
    from studio.choices import ComputeState

    prepare_database(verbose=False)
    print("Database migrated and library seeded.")
    admin = ensure_admin()
    if admin.generated_password:
        print(
            f"Created the administrator '{admin.username}' with password: {admin.generated_password}\n"
            f"  (shown once; also kept in {admin.password_file})"
        )
    else:
        print(f"Administrator '{admin.username}' {'created' if admin.created else 'is ready'}.")
    computes = register_available_computes()
    print("Computes: " + ", ".join(f"{c.name} ({c.state})" for c in computes), flush=True)
    if args.require_docker and not any(
        c.name == "docker" and c.state == ComputeState.ONLINE for c in computes
    ):
        raise CommandError(
            "no Docker engine answers for the `docker` compute: mount the engine's socket and set "
            "STUDIO_DOCKER_URL (and DOCKER_GID to the socket's group in compose.yaml)",
            exit_code=1,
        )
    return 0


def register(verbs) -> None:
    """Add `studio setup` to the `studio` parser."""
    setup = verbs.add_parser(
        "setup", help="migrate, seed, create the administrator and register computes (production init)"
    )
    setup.add_argument(
        "--require-docker", action="store_true", help="fail unless the `docker` compute's engine answers"
    )
    setup.set_defaults(run=run_setup)
