#!/bin/sh
# The Studio image's entrypoint: runs its command (studio serve, studio worker, studio setup).
# A CA bundle given at build time (deploy/build-ca.crt) is also trusted by the environment
# builds the worker starts, unless STUDIO_BUILD_CA_BUNDLE names another.
set -eu
if [ -z "${STUDIO_BUILD_CA_BUNDLE:-}" ] && [ -s /opt/studio/ca/build-ca.crt ]; then
    export STUDIO_BUILD_CA_BUNDLE=/opt/studio/ca/build-ca.crt
fi
exec "$@"
