"""`manage.py seed_library`: register the built-in environments and components."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

LIBRARY_DIR = Path(__file__).resolve().parents[2] / "library"


class Command(BaseCommand):
    """Registers every definition under studio/library/; safe to run again at every start."""

    help = "Register the built-in library of environments and components (idempotent)."

    def handle(self, *args, **options) -> None:
        definitions = sorted(LIBRARY_DIR.glob("**/*.y*ml"))
        if not definitions:
            if options["verbosity"] > 0:
                self.stdout.write("Built-in library: nothing to register yet.")
            return
        from studio.library import register_definition

        for path in definitions:
            asset, created = register_definition(path)
            if options["verbosity"] > 0:
                self.stdout.write(f"{'registered' if created else 'up to date'}: {asset}")
