# syntax=docker/dockerfile:1
# ps-toolkit's own image: compiled in a builder stage that has the -dev
# packages, run from a slim stage that has only the runtime libraries, as a
# non-root user. Both stages install from scripts/packages.txt, the list
# scripts/deps.sh reads, so the image and a Debian host never drift apart.

FROM debian:12-slim AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/packages.txt /tmp/packages.txt
# ps-lint ignore=DL3008 -- versions are Debian 12's; the one list is scripts/packages.txt
RUN apt-get update \
 && awk '$1 == "build" { print $2 }' /tmp/packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j2 all && make install PREFIX=/usr/local DESTDIR=/out

FROM debian:12-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/packages.txt /tmp/packages.txt
# ps-lint ignore=DL3008 -- versions are Debian 12's; the one list is scripts/packages.txt
RUN apt-get update \
 && awk '$1 == "runtime" { print $2 }' /tmp/packages.txt \
    | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/packages.txt \
 && useradd --system --uid 10001 --create-home --shell /usr/sbin/nologin ps
COPY --from=build /out/usr/local /usr/local
USER ps
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/ps-report"]
CMD ["--help"]
