"""Environment definitions: the Azure ML v2 YAML schema and the Azure v1 JSON form."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from studio.images import image_reference_problem
from studio.schemas.common import (
    ASSET_NAME,
    SNAPSHOT_REFERENCE,
    StrictModel,
    Tags,
    Version,
    check_name,
    check_version,
)


class BuildContext(StrictModel):
    """`build:` — a Docker build context folder and the Dockerfile inside it."""

    path: str
    dockerfile_path: str = "Dockerfile"


class Route(StrictModel):
    """One route of `inference_config:`."""

    port: int
    path: str


class InferenceConfig(StrictModel):
    """`inference_config:` (an online inference server's routes); read and warned, never kept."""

    liveness_route: Route
    readiness_route: Route
    scoring_route: Route


class AutoDeleteSetting(StrictModel):
    """`auto_delete_setting:` of an asset; read and warned, never kept."""

    condition: str | None = None
    value: str | None = None


class EnvironmentDocument(StrictModel):
    """An Azure ML v2 environment."""

    schema_: str | None = Field(default=None, alias="$schema")
    name: str
    version: Version | None = None
    description: str | None = None
    tags: Tags = Field(default_factory=dict)
    image: str | None = None
    build: BuildContext | None = None
    conda_file: str | dict[str, Any] | None = None
    os_type: str | None = None
    inference_config: InferenceConfig | None = None
    datastore: str | None = None
    auto_delete_setting: AutoDeleteSetting | None = None


# Accepted with a warning: Azure ML takes them, and they change nothing about what runs here.
TOLERATED_ENVIRONMENT_FIELDS = {
    "inference_config": "inference server routes have no effect here; Studio runs the image as steps",
    "datastore": "Studio stores build contexts itself; the datastore has no effect here",
    "auto_delete_setting": "auto-delete settings have no effect here; versions stay until archived",
}


def environment_warnings(env: EnvironmentDocument) -> list[tuple[tuple, str]]:
    """The fields Azure ML accepts that have no effect here, each with why; a conda file's channels
    are warned where the file is read (`conda_channels_warning`)."""
    warnings = [
        ((field,), reason)
        for field, reason in TOLERATED_ENVIRONMENT_FIELDS.items()
        if getattr(env, field) is not None
    ]
    if isinstance(env.conda_file, dict):
        message = conda_channels_warning(env.conda_file)
        if message:
            warnings.append((("conda_file", "channels"), message))
    return warnings


def conda_channels_warning(conda: Any) -> str | None:
    """Why a conda specification's channels may have no effect here, or None without channels."""
    channels = conda.get("channels") if isinstance(conda, dict) else None
    if not channels or not isinstance(channels, list):
        return None
    return (
        f"conda channels ({', '.join(map(str, channels))}) are used only when the image has conda or "
        "micromamba; otherwise the packages are installed with pip from PyPI"
    )


# --- The Azure v1 JSON form -------------------------------------------------------------------


class V1Python(StrictModel):
    """`python:` of a v1 environment."""

    interpreterPath: str = "python"
    userManagedDependencies: bool = False
    condaDependencies: dict[str, Any] | None = None
    condaDependenciesFile: str | None = None
    baseCondaEnvironment: str | None = None
    enabled: bool | None = None
    arguments: list[Any] = Field(default_factory=list)


class V1Platform(StrictModel):
    """`docker.platform:` of a v1 environment."""

    os: str = "Linux"
    architecture: str = "amd64"


class V1Registry(StrictModel):
    """`docker.baseImageRegistry:` of a v1 environment."""

    address: str | None = None
    username: str | None = None
    password: str | None = None
    registryIdentity: Any = None


class V1Docker(StrictModel):
    """`docker:` of a v1 environment."""

    enabled: bool = True
    baseImage: str | None = None
    platform: V1Platform | None = None
    baseDockerfile: str | None = None
    baseImageRegistry: V1Registry | None = None
    sharedVolumes: bool = True
    shmSize: str | None = None
    arguments: list[Any] = Field(default_factory=list)
    buildContext: Any = None
    gpuSupport: bool | None = None


class V1Spark(StrictModel):
    """`spark:` of a v1 environment; Studio supports it only empty."""

    repositories: list[Any] = Field(default_factory=list)
    packages: list[Any] = Field(default_factory=list)
    precachePackages: bool = True


class V1EnvironmentDocument(StrictModel):
    """An Azure ML v1 environment definition (azureml_environment.json)."""

    name: str
    version: Version | None = None
    python: V1Python = Field(default_factory=V1Python)
    environmentVariables: dict[str, str] = Field(default_factory=dict)
    docker: V1Docker = Field(default_factory=V1Docker)
    spark: V1Spark | None = None
    databricks: dict[str, Any] | None = None
    r: Any = None
    inferencingStackVersion: str | None = None
    tags: Tags = Field(default_factory=dict)
    description: str | None = None


def is_v1_document(document: dict[str, Any]) -> bool:
    """Whether a definition is the v1 JSON form (it has `python` or `docker` sections)."""
    return (
        "image" not in document
        and "build" not in document
        and any(
            key in document for key in ("python", "docker", "environmentVariables", "inferencingStackVersion")
        )
    )


def conda_problems(conda: Any, prefix: tuple) -> list[tuple[tuple, str]]:
    """What is wrong with a conda specification (from a conda file or inline)."""
    if not isinstance(conda, dict):
        return [(prefix, "a conda specification must be a mapping with `dependencies`")]
    problems: list[tuple[tuple, str]] = []
    unknown = set(conda) - {"name", "channels", "dependencies", "prefix", "variables"}
    for key in sorted(unknown):
        problems.append(((*prefix, key), "is not a field of a conda environment file"))
    channels = conda.get("channels", [])
    if not isinstance(channels, list) or not all(isinstance(item, str) for item in channels):
        problems.append(((*prefix, "channels"), "must be a list of channel names"))
    dependencies = conda.get("dependencies", [])
    if not isinstance(dependencies, list):
        return [*problems, ((*prefix, "dependencies"), "must be a list")]
    for position, item in enumerate(dependencies):
        where = (*prefix, "dependencies", position)
        if isinstance(item, str):
            continue
        if isinstance(item, dict) and set(item) == {"pip"} and isinstance(item["pip"], list):
            for pip_position, requirement in enumerate(item["pip"]):
                if not isinstance(requirement, str):
                    problems.append(((*where, "pip", pip_position), "pip requirements must be strings"))
            continue
        problems.append((where, "expected a package spec such as 'numpy=1.26' or a {pip: [...]} list"))
    variables = conda.get("variables", {})
    if not isinstance(variables, dict):
        problems.append(((*prefix, "variables"), "must be a mapping of names to values"))
    return problems


def _local_path_problem(value: str) -> str | None:
    if SNAPSHOT_REFERENCE.match(value):
        return None
    if value.startswith(("azureml:", "http://", "https://", "git+")) or "://" in value:
        return "must be a local folder (remote build contexts are not supported)"
    return None


def environment_problems(env: EnvironmentDocument) -> list[tuple[tuple, str]]:
    """Everything wrong with a v2 environment beyond the field types."""
    problems: list[tuple[tuple, str]] = []
    name_problem = check_name(env.name, pattern=ASSET_NAME, what="environment")
    if name_problem:
        problems.append((("name",), name_problem))
    version_problem = check_version(env.version)
    if version_problem:
        problems.append((("version",), version_problem))
    if env.image and env.build:
        problems.append((("build",), "give either image or build, not both"))
    if not env.image and not env.build:
        problems.append((("image",), "an environment needs an image or a build context"))
    if env.image is not None and not env.image.strip():
        problems.append((("image",), "is empty"))
    elif env.image:
        problem = image_reference_problem(env.image)
        if problem:
            problems.append((("image",), problem))
    if env.build is not None:
        problem = _local_path_problem(env.build.path)
        if problem:
            problems.append((("build", "path"), problem))
        if env.build.dockerfile_path.startswith("/") or ".." in env.build.dockerfile_path.split("/"):
            problems.append((("build", "dockerfile_path"), "must be a path inside the build context"))
    if env.os_type not in (None, "linux", "Linux"):
        problems.append((("os_type",), f"only linux environments are supported, not {env.os_type!r}"))
    if isinstance(env.conda_file, dict):
        problems.extend(conda_problems(env.conda_file, ("conda_file",)))
    elif isinstance(env.conda_file, str) and "://" in env.conda_file:
        problems.append((("conda_file",), "must be a local file or an inline conda specification"))
    return problems


def v1_environment_problems(env: V1EnvironmentDocument) -> list[tuple[tuple, str]]:
    """What Studio cannot do of a v1 environment; each is refused, never ignored."""
    problems: list[tuple[tuple, str]] = []
    name_problem = check_name(env.name, pattern=ASSET_NAME, what="environment")
    if name_problem:
        problems.append((("name",), name_problem))
    version_problem = check_version(env.version)
    if version_problem:
        problems.append((("version",), version_problem))
    python, docker = env.python, env.docker
    if python.condaDependenciesFile:
        problems.append(
            (("python", "condaDependenciesFile"), "put the conda specification inline in condaDependencies")
        )
    if python.baseCondaEnvironment:
        problems.append((("python", "baseCondaEnvironment"), "base conda environments are not supported"))
    if python.arguments:
        problems.append((("python", "arguments"), "interpreter arguments are not supported"))
    if python.condaDependencies is not None:
        problems.extend(conda_problems(python.condaDependencies, ("python", "condaDependencies")))
    if docker.baseImage and image_reference_problem(docker.baseImage):
        problems.append((("docker", "baseImage"), image_reference_problem(docker.baseImage)))
    if docker.baseImage and docker.baseDockerfile:
        problems.append((("docker", "baseDockerfile"), "give either baseImage or baseDockerfile, not both"))
    registry = docker.baseImageRegistry
    if registry and (registry.address or registry.username or registry.password or registry.registryIdentity):
        problems.append(
            (
                ("docker", "baseImageRegistry"),
                "private registries are not supported; "
                "mirror the image locally and map it with STUDIO_IMAGE_MAP",
            )
        )
    if docker.arguments:
        problems.append((("docker", "arguments"), "extra docker run arguments are not supported"))
    if docker.buildContext:
        problems.append((("docker", "buildContext"), "use the v2 YAML `build:` section for build contexts"))
    if docker.platform and docker.platform.os.lower() != "linux":
        problems.append(
            (("docker", "platform", "os"), f"only Linux is supported, not {docker.platform.os!r}")
        )
    if env.spark and (env.spark.repositories or env.spark.packages):
        problems.append((("spark",), "Spark packages are not supported"))
    if env.databricks and any(env.databricks.values()):
        problems.append((("databricks",), "Databricks libraries are not supported"))
    if env.r:
        problems.append((("r",), "R environments are not supported"))
    if env.inferencingStackVersion:
        problems.append((("inferencingStackVersion",), "inferencing stacks are not supported"))
    return problems
