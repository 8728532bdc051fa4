"""`manage.py ensure_admin`: make sure an administrator account exists."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from studio.accounts import ensure_admin


class Command(BaseCommand):
    """Creates the administrator from STUDIO_ADMIN_USER / STUDIO_ADMIN_PASSWORD, or `admin`."""

    help = "Create or update the administrator account (STUDIO_ADMIN_USER / STUDIO_ADMIN_PASSWORD)."

    def handle(self, *args, **options) -> None:
        admin = ensure_admin()
        if admin.generated_password:
            self.stdout.write(
                f"Created '{admin.username}' with password {admin.generated_password} "
                f"(kept in {admin.password_file})"
            )
        else:
            self.stdout.write(f"Administrator: {admin.username}")
