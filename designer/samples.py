"""The gallery of sample pipelines a new draft can start from.

Each sample is a pipeline job YAML file of the repository's `examples/` folder (the same files the
README's CLI section submits with `studio job create`), built from the built-in library's
components and sample data only, so that a draft can hold it. Opening one imports it as a draft
(`actions.import_pipeline`), as "Import YAML" would.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings

EXAMPLES_DIR = Path(settings.BASE_DIR) / "examples"
LIBRARY_COMPONENTS = Path(__file__).resolve().parents[1] / "studio" / "library" / "components"


@dataclass(frozen=True)
class Sample:
    """One gallery card: its examples/ file, what it shows, and the steps it is made of."""

    slug: str
    filename: str
    kind: str
    title: str
    description: str
    steps: tuple[str, ...]

    @property
    def path(self) -> Path:
        return EXAMPLES_DIR / self.filename

    def text(self) -> bytes:
        return self.path.read_bytes()


# slug, file, what kind of pipeline it is: the gallery's order.
GALLERY = (
    ("classification", "classification.yml", "Classification"),
    ("regression", "regression.yml", "Regression"),
    ("data-preparation", "data-preparation.yml", "Data preparation"),
    ("python-script", "python-script.yml", "Python script"),
    ("batch-scoring", "batch-scoring.yml", "Batch scoring"),
)


def _read(slug: str, filename: str, kind: str) -> Sample | None:
    try:
        document = yaml.safe_load((EXAMPLES_DIR / filename).read_text())
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(document, dict):
        return None
    jobs = document.get("jobs") if isinstance(document.get("jobs"), dict) else {}
    steps = tuple(
        _step_label(str(step.get("component", ""))) for step in jobs.values() if isinstance(step, dict)
    )
    return Sample(
        slug=slug,
        filename=filename,
        kind=kind,
        title=str(document.get("display_name") or slug),
        description=str(document.get("description") or ""),
        steps=steps,
    )


@lru_cache(maxsize=64)
def _step_label(reference: str) -> str:
    """The display name of a built-in component (`azureml:split_data@latest` -> Split Data)."""
    name = reference.removeprefix("azureml:").split("@")[0].split(":")[0]
    try:
        definition = yaml.safe_load((LIBRARY_COMPONENTS / name / "component.yml").read_text())
    except (OSError, yaml.YAMLError):
        definition = None
    if isinstance(definition, dict) and definition.get("display_name"):
        return str(definition["display_name"])
    return name.replace("_", " ").capitalize()


@lru_cache(maxsize=1)
def samples() -> tuple[Sample, ...]:
    """Every sample whose file is present (an installation without examples/ shows none)."""
    found = (_read(slug, filename, kind) for slug, filename, kind in GALLERY)
    return tuple(sample for sample in found if sample is not None)


def sample(slug: str) -> Sample | None:
    """The sample called `slug`, or None."""
    return next((each for each in samples() if each.slug == slug), None)
