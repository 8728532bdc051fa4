"""User verbs (Admin only): `studio user create|set-role|list`, over `/api/v1/users/`."""

from __future__ import annotations

import getpass
import re
import sys

from cli.asset_verbs import INVALID, fetch_all, format_time
from cli.client import StudioClient
from cli.output import CommandError, add_output_option, emit
from cli.table import render_table

ROLES = ("admin", "member", "viewer")
USERNAME = re.compile(r"^[\w.@+-]{1,150}$")


def user_path(username: str) -> str:
    if not USERNAME.match(username):
        raise CommandError(
            f"{username!r} is not a username (letters, digits and @ . + - _)", exit_code=INVALID
        )
    return f"users/{username}/"


def read_password(args) -> str:
    """The new user's password: --password-stdin (one line), or asked twice on a terminal."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            raise CommandError("the two passwords differ", exit_code=INVALID)
    else:
        raise CommandError("give the password with --password-stdin", exit_code=INVALID)
    if not password:
        raise CommandError("the password is empty", exit_code=INVALID)
    return password


def run_create(args) -> int:
    user_path(args.username)
    password = read_password(args)
    client = StudioClient.from_saved_login()
    user = client.request(
        "POST",
        "users/",
        json={"username": args.username, "password": password, "role": args.role, "email": args.email or ""},
    )
    emit(user, output=args.output, text=f"Created {user['username']} ({user['role']})")
    return 0


def run_set_role(args) -> int:
    client = StudioClient.from_saved_login()
    user = client.request("PATCH", user_path(args.username), json={"role": args.role})
    emit(user, output=args.output, text=f"{user['username']} is now {user['role']}")
    return 0


def run_list(args) -> int:
    client = StudioClient.from_saved_login()
    users = fetch_all(client, "users/")
    if args.output == "json":
        emit(users, output="json", text="")
        return 0
    rows = [
        [user["username"], user["role"], user.get("email") or "", format_time(user.get("last_login"))]
        for user in users
    ]
    print(render_table(["USERNAME", "ROLE", "EMAIL", "LAST SIGN-IN"], rows))
    return 0


def register(verbs) -> None:
    """Add `user` and its subverbs to the `studio` parser."""
    user = verbs.add_parser("user", help="create users and set their roles (Admin only)")
    subverbs = user.add_subparsers(dest="subverb", metavar="SUBVERB", required=True)

    create = subverbs.add_parser("create", help="create a user")
    create.add_argument("username", metavar="USERNAME")
    create.add_argument("--role", choices=ROLES, default="member", help="default: member")
    create.add_argument("--email")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add_output_option(create)
    create.set_defaults(run=run_create)

    set_role = subverbs.add_parser("set-role", help="make a user an admin, a member or a viewer")
    set_role.add_argument("username", metavar="USERNAME")
    set_role.add_argument("role", choices=ROLES)
    add_output_option(set_role)
    set_role.set_defaults(run=run_set_role)

    listing = subverbs.add_parser("list", help="list users and their roles")
    add_output_option(listing)
    listing.set_defaults(run=run_list)
