"""What to install: an environment's conda file as pip and conda requirements for a base image."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_CONDA_NAME = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.\-]*)(\[[^\]]*\])?\s*(.*)$")


@dataclass(frozen=True)
class BaseImageFacts:
    """What a probe of the base image found: its Python version and conda tool, if any."""

    python: str | None = None  # "3.11.2"
    conda_tool: str | None = None  # path of micromamba or conda
    conda_prefix: str | None = None  # the root prefix whose bin/ holds conda's python


@dataclass(frozen=True)
class Requirements:
    """An environment's packages, split by the tool that installs them, and notes for the log."""

    pip: tuple[str, ...] = ()
    conda: tuple[str, ...] = ()  # for conda/micromamba (python pin included); empty without one
    channels: tuple[str, ...] = ()
    python: str | None = None  # the requested Python version spec, e.g. "3.10"
    notes: tuple[str, ...] = ()


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def _python_satisfies(requested: str, actual: str) -> bool:
    """Whether Python `actual` ("3.11.2") meets a pip-style spec ("==3.10.*", ">=3.9,<3.12").

    `==X.Y` is read as a prefix (any X.Y.z), as a conda pin of Python means.
    """
    have = _version_tuple(actual)
    for clause in (part.strip() for part in requested.split(",")):
        match = re.fullmatch(r"(===|==|!=|~=|>=|<=|>|<)?\s*([0-9][0-9.]*?)(\.\*)?", clause)
        if match is None:
            continue
        operator = match.group(1) or "=="
        want = _version_tuple(match.group(2))
        if not want:
            continue
        if operator in ("==", "===", "!="):
            if (operator == "!=") == (have[: len(want)] == want):
                return False
        elif operator == "~=":
            keep = max(len(want) - 1, 1)
            if have < want or have[:keep] != want[:keep]:
                return False
        else:
            padded = (have + (0,) * len(want))[: len(want)]
            checks = {">=": padded >= want, ">": padded > want, "<=": padded <= want, "<": padded < want}
            if not checks[operator]:
                return False
    return True


def conda_to_pip(dependency: str) -> tuple[str, str] | None:
    """A conda match spec as (name, pip requirement); None when it cannot be read.

    `numpy=1.26` -> `numpy==1.26.*` (conda's `=` is a prefix match), `numpy==1.26.4` stays exact,
    `numpy 1.26.*` -> `numpy==1.26.*`, ranges such as `>=1.2,<2` are kept, a build string
    (`numpy=1.26=py311_0`) and a channel (`conda-forge::numpy`) are dropped.
    """
    text = dependency.strip()
    if "::" in text:
        text = text.split("::", 1)[1]
    match = _CONDA_NAME.match(text)
    if match is None:
        return None
    name, extras, rest = match.group(1), match.group(2) or "", match.group(3).strip()
    if not rest:
        return name, name + extras
    if " " in rest and not re.match(r"^[<>=!~]", rest):
        rest = rest.split()[0]  # "numpy 1.26 py311_0": version, then build string
    rest = rest.replace(" ", "")
    if "|" in rest:
        return None
    if rest.startswith("=") and not rest.startswith("=="):
        rest = rest[1:].split("=", 1)[0]  # "=1.26=build" -> "1.26"
        return name, f"{name}{extras}=={rest.removesuffix('*').removesuffix('.')}.*"
    if rest.startswith("=="):
        version = rest[2:].split("=", 1)[0]
        return name, f"{name}{extras}=={version}"
    if rest[0] in "<>!~":
        return name, f"{name}{extras}{rest}"
    version = rest.split("=", 1)[0]
    return name, f"{name}{extras}=={version.removesuffix('*').removesuffix('.')}.*"


def environment_requirements(
    environment_or_spec: Any,
    *,
    facts: BaseImageFacts | None = None,
    where: str = "the base image",
) -> Requirements:
    """Turn the environment's conda spec into what pip (and conda, when the base has it) install.

    `facts` describes the target's Python and conda tool (None: not probed, so conda packages go to
    pip and the Python version cannot be checked). Used for Docker images and virtualenvs alike.
    """
    spec = getattr(environment_or_spec, "spec", environment_or_spec) or {}
    conda = spec.get("conda") or {}
    notes: list[str] = []
    if not conda:
        return Requirements()
    channels = tuple(conda.get("channels") or ())
    pip: list[str] = []
    conda_packages: list[str] = []
    python: str | None = None
    python_item = ""
    for item in conda.get("dependencies") or ():
        if isinstance(item, dict):
            pip.extend(str(requirement) for requirement in item.get("pip") or ())
            continue
        converted = conda_to_pip(str(item))
        name = converted[0].lower() if converted else str(item).split("::")[-1].split()[0].lower()
        if name == "python":
            python_item = str(item).strip()
            python = converted[1][len(converted[0]) :] if converted else None
            if facts and facts.conda_tool:
                conda_packages.append(str(item))
            continue
        if name == "pip":
            continue
        conda_packages.append(str(item))
    pip_from_conda: list[str] = []
    if conda_packages and not (facts and facts.conda_tool):
        for item in conda_packages:
            converted = conda_to_pip(item)
            if converted is None:
                notes.append(f"WARNING: cannot translate conda package {item!r} to pip; installing by name")
                bare = item.split("::")[-1].strip()
                pip_from_conda.append(re.split(r"[\s=<>!~|]", bare, maxsplit=1)[0])
            else:
                pip_from_conda.append(converted[1])
        if facts is None:
            reason = "detection of conda/micromamba was skipped"
        else:
            reason = f"{where} has no conda or micromamba"
        pairs = zip(conda_packages, pip_from_conda, strict=True)
        notes.append(
            f"{reason}: conda packages are installed with pip under the same name: "
            + ", ".join(f"{a} -> {b}" if a != b else a for a, b in pairs)
        )
        conda_packages = []
    if python and not (facts and facts.conda_tool):
        actual = facts.python if facts else None
        if actual is None:
            notes.append(
                f"the conda file asks for {python_item}; the Python of {where} is used "
                "(its version was not checked)"
            )
        elif not _python_satisfies(python, actual):
            notes.append(
                f"WARNING: the conda file asks for {python_item} but {where} has Python {actual}; "
                f"Python {actual} is used"
            )
        else:
            notes.append(f"the conda file asks for {python_item}; {where} has Python {actual}")
    if channels and conda_packages:
        notes.append(f"conda channels: {', '.join(channels)}")
    elif channels and not conda_packages:
        notes.append(f"conda channels {', '.join(channels)} are not used (nothing is installed with conda)")
    return Requirements(
        pip=tuple(pip_from_conda + pip),
        conda=tuple(conda_packages),
        channels=channels,
        python=python,
        notes=tuple(notes),
    )
