"""`manage.py seed_library`: register the built-in environments, data and components."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studio.registry import register_file
from studio.schemas.loading import DefinitionError

LIBRARY_DIR = Path(__file__).resolve().parents[2] / "library"
# Components refer to environments, so environments go first.
ORDER = (("environments", "environment"), ("data", "data"), ("components", "component"))


def library_definitions() -> list[tuple[str, Path]]:
    """Every built-in definition file with its kind, in registration order."""
    found: list[tuple[str, Path]] = []
    for folder, kind in ORDER:
        base = LIBRARY_DIR / folder
        if kind == "component":
            paths = sorted(base.glob("*/component.yml"))
        else:
            paths = sorted(p for p in base.glob("*.yml") if not p.name.endswith(".conda.yml"))
        found.extend((kind, path) for path in paths)
    return found


class Command(BaseCommand):
    """Registers every definition under studio/library/; running it again changes nothing."""

    help = "Register the built-in library of environments, data and components (idempotent)."

    def handle(self, *args, **options) -> None:
        created_count = 0
        definitions = library_definitions()
        for kind, path in definitions:
            try:
                asset, created = register_file(path, kind=kind)
            except DefinitionError as error:
                raise CommandError(f"built-in {kind} {path.name} is invalid:\n{error}") from None
            created_count += created
            if options["verbosity"] > 1 or (created and options["verbosity"] > 0):
                self.stdout.write(f"{'registered' if created else 'up to date'}: {kind} {asset}")
        if options["verbosity"] > 0:
            self.stdout.write(f"Built-in library: {created_count} new, {len(definitions)} in all.")
