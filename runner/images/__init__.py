"""Building environments once: a Docker image per engine, or a virtualenv for the local compute.

An environment's image is tagged by its content hash and reused by every step of every job. A
build happens once even when ten steps ask at the same moment: the `EnvironmentImage` row of
(environment, target) is claimed with a conditional create/update, the winner builds, and the
others poll the row until it is ready or failed. The builder renews its claim on the row every few
seconds (`runner.heartbeat`); when it stops for STUDIO_HEARTBEAT_TIMEOUT_SECONDS (its worker was
killed mid-build) a waiter takes the build over, so no step waits on a dead build. Images are
built with the engine's classic builder; base images must exist on the engine (never pulled).
With STUDIO_REGISTRY set, an environment is built once for the registry and pushed, and every
other engine pulls it instead of building (`registry`).

Conda files (PRODUCT.md section 4): the `pip:` list is installed with pip. When the base image has
conda or micromamba, `python=X` and the other conda packages are installed with it; otherwise the
base image's Python is used, the other conda packages are installed with pip under the same name,
and the build log says so (with a warning when the requested Python version differs). Packages go
into a virtualenv at /opt/studio/venv, first on PATH: Debian's system pip refuses installs.

Modules: `requirements` (what to install), `dockerfiles`, `engine` (probing a base image and one
build on the Docker engine), `building_once` (the claimed row, the build, the waiters), `registry`
(push and pull), `venvs` (the local compute) and `errors`.
"""
