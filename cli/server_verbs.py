"""Verbs that run Studio itself: up, serve, worker, image bootstrap, manage."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import threading

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from cli.output import CommandError

logger = logging.getLogger("cli")


def setup_django() -> None:
    """Load settings and apps, turning a bad setting into a message that names the variable."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        raise CommandError(f"configuration error: {error}", exit_code=2) from None
    secure_studio_home()


def secure_studio_home() -> None:
    """STUDIO_HOME private to the server's user (studio.home); prints what it changed."""
    from django.conf import settings

    from studio.home import secure_home

    database = settings.DATABASES["default"]
    sqlite = database["NAME"] if database["ENGINE"] == "django.db.backends.sqlite3" else None
    for change in secure_home(settings.STUDIO_HOME, sqlite=sqlite):
        print(f"Made private: {change}")


def prepare_database(*, verbose: bool = True) -> None:
    """Apply migrations and seed the built-in library; both are no-ops when up to date."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)
    call_command("seed_library", verbosity=1 if verbose else 0)


def check_port_free(host: str, port: int) -> None:
    """Fail with a clear message when the address is taken, before anything else starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CommandError(
                f"cannot listen on {host}:{port} ({error.strerror}); "
                "stop what uses it or set STUDIO_PORT / STUDIO_HOST",
                exit_code=2,
            ) from None


class GracefulServer(uvicorn.Server):
    """A uvicorn server that treats SIGINT and SIGTERM as a request to stop, not an error."""

    @contextlib.contextmanager
    def capture_signals(self):
        # uvicorn re-raises the signal after shutting down, which would skip our own clean-up
        # (stopping the worker threads) and end with 130/143 instead of 0.
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {signum: signal.signal(signum, self.handle_exit) for signum in handled}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def serve_http(host: str, port: int, *, workers: int = 1) -> None:
    """Serve pages, the REST API and websockets until SIGINT or SIGTERM.

    With several workers, uvicorn's supervisor binds the socket here and runs that many child
    processes serving it (config.web_worker: they stop when this process dies); SIGINT or SIGTERM
    stops them and returns, SIGHUP replaces them one by one, a child that dies is started again.
    """
    from django.conf import settings

    config = uvicorn.Config(
        "config.web_worker:application" if workers > 1 else "config.asgi:application",
        host=host,
        port=port,
        workers=workers,
        lifespan="off",
        log_level=settings.STUDIO_LOG_LEVEL.lower(),
        proxy_headers=bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)),
        ws="websockets-sansio",
    )
    if workers == 1:
        GracefulServer(config).run()
        return
    from django.db import connections

    connections.close_all()  # this process only supervises from here on
    close_pool()
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        raise CommandError("a web worker failed to start (its error is above)", exit_code=3)


# Set by `studio serve` for itself and, through the environment, its web processes: settings then
# give PostgreSQL connections a pool (config.settings, STUDIO_DB_POOL_*; config.request_connections).
SERVE_PROCESS_VARIABLE = "STUDIO_SERVE_PROCESS"


def close_pool() -> None:
    """Close this process's database connection pool, if it has one (the supervisor needs none)."""
    from django.db import connections

    close = getattr(connections["default"], "close_pool", None)
    if close is not None:
        close()


def run_up(args) -> int:
    """Everything in one process: migrate, seed, admin, computes, worker threads, web server."""
    setup_django()
    from django.conf import settings

    from runner import base_image_build
    from runner.computes import register_available_computes
    from runner.worker import start_workers
    from studio.accounts import ensure_admin

    host = args.host or settings.STUDIO_HOST
    port = args.port or settings.STUDIO_PORT
    check_port_free(host, port)
    print(f"Studio home: {settings.STUDIO_HOME}")
    prepare_database(verbose=False)
    admin = ensure_admin()
    if admin.generated_password:
        print(
            f"Created the administrator '{admin.username}' with password: {admin.generated_password}\n"
            f"  (shown once; also kept in {admin.password_file})"
        )
    computes = register_available_computes()
    print("Computes: " + ", ".join(f"{c.name} ({c.state})" for c in computes))
    base_image_build.start_if_missing(log=lambda line: print(line, flush=True))
    worker = start_workers(announce=True)
    print(f"Serving http://{host}:{port}/  (Ctrl-C stops)", flush=True)
    try:
        serve_http(host, port)
    finally:
        worker.stop(timeout=10_000)
        print("Studio stopped.", flush=True)
    return 0


def run_serve(args) -> int:
    """The web server only, for production where `studio worker` runs elsewhere."""
    if args.workers is not None and args.workers < 1:
        raise CommandError("--workers must be at least 1", exit_code=2)
    os.environ[SERVE_PROCESS_VARIABLE] = "1"
    setup_django()
    from django.conf import settings

    from runner import broker

    workers = args.workers or settings.STUDIO_WEB_WORKERS
    if workers > 1 and broker.is_embedded():
        given = f"--workers {args.workers}" if args.workers else f"STUDIO_WEB_WORKERS={workers}"
        raise CommandError(
            f"{given} needs REDIS_URL: several web processes share websockets and jobs through "
            "Redis; without it run one (--workers 1), or `studio up`",
            exit_code=2,
        )
    host = args.host or settings.STUDIO_HOST
    port = args.port or settings.STUDIO_PORT
    check_port_free(host, port)
    if not args.no_migrate:
        prepare_database(verbose=False)
    from django.db import connections

    connections.close_all()  # the main thread's connection goes back to the pool
    processes = f" with {workers} web processes" if workers > 1 else ""
    print(f"Serving http://{host}:{port}/{processes}", flush=True)
    serve_http(host, port, workers=workers)
    return 0


def parse_compute_names(text: str | None) -> list[str] | None:
    """`--compute a,b` as ['a', 'b']; None when not given (serve what this host reaches)."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise CommandError(
            "--compute needs at least one compute name, e.g. --compute docker,gpu-1", exit_code=2
        )
    return names


def run_worker(args) -> int:
    """Worker threads only, consuming the Redis broker until SIGINT or SIGTERM."""
    computes = parse_compute_names(args.compute)
    if args.threads is not None and args.threads < 1:
        raise CommandError("--threads must be at least 1", exit_code=2)
    setup_django()
    from django.conf import settings

    from runner import broker
    from runner.serving import ServingError

    if broker.is_embedded():
        raise CommandError(
            "studio worker needs REDIS_URL: without it messages never leave the web process, "
            "and `studio up` runs the worker itself",
            exit_code=2,
        )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    from runner.worker import start_workers

    try:
        worker = start_workers(
            step_threads=args.threads, computes=computes, every_compute=False, announce=True
        )
    except ServingError as error:
        raise CommandError(f"--compute: {error}", exit_code=2) from None
    served = ", ".join(worker.serving.served()) or "none reachable yet (looked at again every 30 s)"
    print(f"Worker serving computes: {served}", flush=True)
    print(
        f"Worker running with {worker.worker_threads} threads: {worker.control.worker_threads} for control, "
        f"{worker.steps.worker_threads} for steps (Ctrl-C stops)",
        flush=True,
    )
    stop.wait()
    grace = settings.STUDIO_WORKER_STOP_GRACE_SECONDS
    print(f"Stopping worker: running steps have {grace} s to finish, then are handed back…", flush=True)
    handed_back = worker.stop(timeout=grace * 1000)
    print(f"Worker stopped; {handed_back} steps handed back.", flush=True)
    return 0


def run_image_bootstrap(args) -> int:
    """Build the offline Python base image with debootstrap; a no-op when it exists."""
    setup_django()
    from django.conf import settings

    from runner.base_image import BaseImageError, bootstrap_base_image, verify_base_image
    from runner.executors.docker import DockerUnavailable

    tag = args.tag or settings.STUDIO_BASE_IMAGE
    try:
        built = bootstrap_base_image(
            tag,
            ca_bundle=settings.STUDIO_BUILD_CA_BUNDLE or None,
            mirror=args.mirror,
            force=args.force,
            base_url=settings.STUDIO_DOCKER_URL or None,
        )
        version = verify_base_image(tag, base_url=settings.STUDIO_DOCKER_URL or None)
    except (BaseImageError, DockerUnavailable) as error:
        raise CommandError(str(error)) from None
    state = "built" if built else "already present"
    print(f"Base image {tag} {state}; Python {version.split()[0]}")
    return 0


def run_manage(args) -> int:
    """Pass the remaining arguments to Django's manage.py commands."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["studio manage", *args.arguments])
    return 0


def register(verbs) -> None:
    """Add the server verbs to the `studio` parser."""
    up = verbs.add_parser("up", help="run everything in one process (web, API, websockets, worker)")
    up.add_argument("--host", help="address to listen on (default STUDIO_HOST, 127.0.0.1)")
    up.add_argument("--port", type=int, help="port to listen on (default STUDIO_PORT, 8000)")
    up.set_defaults(run=run_up)

    serve = verbs.add_parser("serve", help="run the web server only (production)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.add_argument(
        "--workers",
        type=int,
        help="web processes sharing the port (default STUDIO_WEB_WORKERS: min(4, CPUs) with "
        "REDIS_URL, else 1; more than 1 needs REDIS_URL)",
    )
    serve.set_defaults(run=run_serve)

    worker = verbs.add_parser("worker", help="run job worker threads only (production, needs REDIS_URL)")
    worker.add_argument("--threads", type=int, help="step threads (default STUDIO_STEP_THREADS)")
    worker.add_argument(
        "--compute",
        metavar="NAME[,NAME]",
        help="take only these computes' steps (default: the computes whose engine this host reaches, "
        "and the local computes of this host)",
    )
    worker.set_defaults(run=run_worker)

    image = verbs.add_parser("image", help="manage Studio's container images")
    image_verbs = image.add_subparsers(dest="image_verb", metavar="VERB", required=True)
    bootstrap = image_verbs.add_parser(
        "bootstrap", help="build the offline Python base image (STUDIO_BASE_IMAGE) with debootstrap"
    )
    bootstrap.add_argument("--tag", help="image tag (default STUDIO_BASE_IMAGE)")
    bootstrap.add_argument("--mirror", help="Debian mirror (default: the one apt uses)")
    bootstrap.add_argument("--force", action="store_true", help="rebuild even when the image exists")
    bootstrap.set_defaults(run=run_image_bootstrap)

    manage = verbs.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(run=run_manage)
