"""Verbs that talk to a running Studio over its REST API: login, logout, whoami."""

from __future__ import annotations

import getpass
import socket

import requests

from cli.client import TIMEOUT_SECONDS, StudioClient, describe_error
from cli.config import ClientConfig, config_path, save_config
from cli.output import CommandError, add_output_option, emit


def run_login(args) -> int:
    """Exchange a username and password for an API token and keep it in the user's config."""
    url = args.url.rstrip("/")
    password = args.password
    if password is None:
        try:
            password = getpass.getpass(f"Password for {args.username}: ")
        except EOFError:
            raise CommandError("no password given: pass --password or run in a terminal") from None
    try:
        response = requests.post(
            f"{url}/api/v1/tokens/",
            json={"name": f"studio CLI on {socket.gethostname()}"[:100]},
            auth=(args.username, password),
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise CommandError(f"cannot reach {url}: {error}") from None
    if response.status_code in (401, 403):
        raise CommandError(f"login refused for {args.username} at {url}: wrong username or password")
    if response.status_code != 201:
        raise CommandError(describe_error(response))
    token = response.json()["token"]
    path = save_config(ClientConfig(url=url, token=token, username=args.username))
    if args.print_token:
        print(token)
        return 0
    emit(
        {"url": url, "username": args.username, "config": str(path)},
        output=args.output,
        text=f"Logged in to {url} as {args.username}; token kept in {path}",
    )
    return 0


def run_logout(args) -> int:
    """Revoke the saved token on the server and forget it locally."""
    path = config_path()
    client = StudioClient.from_saved_login()
    tokens = client.request("GET", "tokens/", params={"page_size": 500})
    prefix = client.config.token[:12]
    for token in tokens.get("results", []):
        if token["prefix"] == prefix and token["is_active"]:
            client.request("DELETE", f"tokens/{token['id']}/")
    if path.exists():
        path.unlink()
    emit({"logged_out": True}, output=args.output, text=f"Logged out of {client.config.url}")
    return 0


def run_whoami(args) -> int:
    """Show the user the saved login acts as."""
    client = StudioClient.from_saved_login()
    user = client.request("GET", "me/")
    emit(user, output=args.output, text=f"{user['username']} at {client.config.url}")
    return 0


def register(verbs) -> None:
    """Add the client verbs to the `studio` parser."""
    login = verbs.add_parser("login", help="sign in to a Studio and keep an API token for the CLI")
    login.add_argument("--url", required=True, help="the Studio's address, e.g. http://127.0.0.1:8000")
    login.add_argument("--username", required=True)
    login.add_argument("--password", help="prompted for when not given")
    login.add_argument("--print-token", action="store_true", help="print the new token (for scripts)")
    add_output_option(login)
    login.set_defaults(run=run_login)

    logout = verbs.add_parser("logout", help="revoke the CLI's token and forget it")
    add_output_option(logout)
    logout.set_defaults(run=run_logout)

    whoami = verbs.add_parser("whoami", help="show who the CLI is signed in as")
    add_output_option(whoami)
    whoami.set_defaults(run=run_whoami)
