# One image with every millrace binary; docker-compose.yml picks the command per service.
# Base images are pinned to exact versions so builds are reproducible.

FROM golang:1.26.0-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (the SQLite driver needs no cgo), so the binaries run on a minimal base.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/...

FROM debian:12.12-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/millrace --create-home millrace
COPY --from=build /out/ /usr/local/bin/
USER millrace
WORKDIR /var/lib/millrace
ENTRYPOINT []
CMD ["millrace", "--help"]
