"""Making sure an administrator exists, so a fresh Studio can be signed into."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from studio.env import envstr

DEFAULT_ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class AdminAccount:
    """The administrator `ensure_admin` found or created."""

    username: str
    created: bool
    generated_password: str | None
    password_file: Path | None


def _keep_password(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")


@transaction.atomic
def ensure_admin() -> AdminAccount:
    """Create or update the administrator named by STUDIO_ADMIN_USER / STUDIO_ADMIN_PASSWORD.

    With neither set and no superuser yet, create `admin` with a generated password, which the
    caller prints once and which is kept in STUDIO_HOME/admin_password.
    """
    users = get_user_model()
    username = envstr("STUDIO_ADMIN_USER")
    password = os.environ.get("STUDIO_ADMIN_PASSWORD") or None
    if not username:
        if users.objects.filter(is_superuser=True).exists():
            existing = users.objects.filter(is_superuser=True).order_by("pk").first()
            return AdminAccount(existing.get_username(), False, None, None)
        username = DEFAULT_ADMIN_USERNAME
    user = users.objects.filter(username=username).first()
    created = user is None
    generated = None
    if created:
        user = users(username=username, is_staff=True, is_superuser=True)
        if password is None:
            generated = password = secrets.token_urlsafe(12)
    else:
        user.is_staff = user.is_superuser = user.is_active = True
    if password is not None and (created or not user.check_password(password)):
        user.set_password(password)
    user.save()
    password_file = None
    if generated:
        password_file = Path(settings.STUDIO_HOME) / "admin_password"
        _keep_password(password_file, generated)
    return AdminAccount(username, created, generated, password_file)
