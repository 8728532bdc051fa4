# The Studio image: `studio serve`, `studio worker` and the one-shot `studio setup` of compose.yaml.
#
# Built FROM Studio's offline Python base image (`studio image bootstrap` makes it from the Debian
# mirror apt uses), so no image registry is needed. pip fetches the Python dependencies from the
# package index during the build.
#
# - The frontend is not built here (the base image has no Node): build it on the host first,
#   `cd frontend && npm ci && npm run build`; this image copies the bundle from static/dist.
# - Behind a TLS-inspecting proxy, copy its CA bundle to deploy/build-ca.crt before building:
#   pip trusts it during the build, and environment builds the worker starts trust it too
#   (the entrypoint sets STUDIO_BUILD_CA_BUNDLE to it).
# - Runs as the base image's user `studio` (STUDIO_UID, 65532 by default, which must equal the
#   worker's STUDIO_STEP_UID so that step containers can write the folders the worker makes).
ARG STUDIO_BASE_IMAGE=studio/python:3.11-bookworm
FROM ${STUDIO_BASE_IMAGE}

ARG STUDIO_UID=65532
ARG STUDIO_GID=65532
USER root

# The dependencies first, as their own layer: changing Studio's code does not reinstall them.
# deploy/README.md always exists; deploy/build-ca.crt only when given ([t] makes it optional).
COPY pyproject.toml /opt/studio/app/pyproject.toml
COPY deploy/README.md deploy/build-ca.cr[t] /opt/studio/ca/
RUN set -eu; \
    if [ -s /opt/studio/ca/build-ca.crt ]; then \
        export PIP_CERT=/opt/studio/ca/build-ca.crt REQUESTS_CA_BUNDLE=/opt/studio/ca/build-ca.crt; \
    fi; \
    python3 -m venv /opt/studio/venv; \
    python3 -c "import tomllib; print('\n'.join(tomllib.load(open('/opt/studio/app/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /opt/studio/requirements.txt; \
    /opt/studio/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-input \
        'setuptools>=77' -r /opt/studio/requirements.txt

# Studio itself (owned by root: the server cannot change its own code), installed in place so
# that templates/, static/ and examples/ are found next to the packages.
COPY . /opt/studio/app
RUN set -eu; \
    if [ ! -f /opt/studio/app/static/dist/.vite/manifest.json ]; then \
        echo "static/dist has no frontend bundle: run 'cd frontend && npm ci && npm run build' first" >&2; \
        exit 1; \
    fi; \
    /opt/studio/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-input \
        --no-deps --no-build-isolation -e /opt/studio/app; \
    install -d -o "${STUDIO_UID}" -g "${STUDIO_GID}" -m 0711 /var/lib/studio

ENV PATH=/opt/studio/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DJANGO_SETTINGS_MODULE=config.settings \
    STUDIO_HOME=/var/lib/studio \
    STUDIO_HOST=0.0.0.0 \
    STUDIO_PORT=8000
WORKDIR /opt/studio/app
USER ${STUDIO_UID}:${STUDIO_GID}
EXPOSE 8000
LABEL studio.image=app
ENTRYPOINT ["sh", "/opt/studio/app/deploy/entrypoint.sh"]
CMD ["studio", "serve"]
