# socflow's container image: one static binary that runs as `socflow worker`
# or `socflow serve` (docker-compose.yml runs both). Build it with
#
#   docker build -t socflow:local .
#
# tests/compose checks this file against go.mod and docker-compose.yml,
# because CI has no container engine to build it with.

# The builder's Go must be go.mod's `go` version exactly (tests/compose
# checks it). The image sets GOTOOLCHAIN=local, so a mismatch fails the
# build instead of downloading another toolchain.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src

# Modules before source: editing code then reuses the download layer.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
# The binary embeds a Temporal dev server, so a cold build takes minutes;
# the BuildKit cache mount keeps compiled packages between builds. CGO is
# off so that the binary runs on distroless/static, which has no libc.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/socflow ./cmd/socflow

# The runtime image has no shell to create the data directory, so an empty
# one is made here and copied over with the runtime user as owner. A named
# volume mounted there starts as a copy of it, ownership included.
RUN mkdir -p /out/data

# distroless/static: CA certificates and tzdata (the integrations call HTTPS
# APIs), no shell, no package manager. The :nonroot tag runs as uid 65532.
# It is pinned by tag only: pin the digest your registry serves, e.g. from
# `docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot`.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/socflow /usr/local/bin/socflow

# The configuration names its data files relative to its own folder, so the
# demo intel and asset files sit beside it. Replace them by mounting your own
# over /etc/socflow/intel/ and /etc/socflow/assets.yaml.
COPY deploy/socflow.yaml /etc/socflow/socflow.yaml
COPY examples/intel/ /etc/socflow/intel/
COPY examples/assets.yaml /etc/socflow/assets.yaml

# The worker's audit log.
COPY --from=build --chown=65532:65532 /out/data /var/lib/socflow

ENV SOCFLOW_CONFIG=/etc/socflow/socflow.yaml \
    SOCFLOW_DATA_DIR=/var/lib/socflow

USER 65532:65532
EXPOSE 8080

# No HEALTHCHECK: without a shell or curl nothing in the image can probe
# `serve`'s GET /healthz. Probe it from outside (load balancer, Kubernetes
# httpGet); compose orders start-up on Temporal's and PostgreSQL's checks.
ENTRYPOINT ["/usr/local/bin/socflow"]
CMD ["--help"]
