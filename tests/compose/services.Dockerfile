# Stand-ins for the postgres and redis images of compose.yaml, for tests only: Debian's
# postgresql and redis-server installed into Studio's offline base image (no registry needed;
# apt reaches the Debian mirror the base image was bootstrapped from over plain http).
# tests/compose/compose.test.yaml runs it as `db` (user postgres) and as `redis` (user redis).
ARG STUDIO_BASE_IMAGE=studio/python:3.11-bookworm
FROM ${STUDIO_BASE_IMAGE}
USER root
# No cluster made at install time, and no service started inside the build.
RUN set -eu; \
    mkdir -p /etc/postgresql-common; \
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confold postgresql-15 redis-server; \
    apt-get clean; rm -rf /var/lib/apt/lists/*; \
    install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data; \
    install -d -o postgres -g postgres -m 2775 /var/run/postgresql; \
    install -d -o redis -g redis -m 0750 /data
COPY postgres-standin.sh /usr/local/bin/postgres-standin.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
WORKDIR /data
USER redis
LABEL studio.test=compose-services
