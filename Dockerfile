# syntax=docker/dockerfile:1
# The logistis server image: `make image` (see docs/deploy.md). Two stages: the build stage compiles TypeScript
# with every dependency, the run stage gets dist/ and the production dependencies only (all pure JavaScript: the
# store is Node's own node:sqlite, compression Node's own zstd), so RUNIMAGE may use another libc than BASEIMAGE.
# Both need Node.js 24 on PATH as `node`; override them for a private registry or a hardened base:
#   docker build --build-arg BASEIMAGE=registry.example/node:24 --build-arg RUNIMAGE=registry.example/node:24-slim .
ARG BASEIMAGE=node:24-bookworm-slim
ARG RUNIMAGE=node:24-bookworm-slim

FROM ${BASEIMAGE} AS build
WORKDIR /src
ENV NODE_ENV=production
# Install scripts are skipped: the one that matters here (the `node` devDependency fetching a second Node.js)
# is not needed, the base image has Node.js 24.
COPY package.json package-lock.json ./
RUN npm ci --include=dev --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
COPY web/ web/
RUN ./node_modules/.bin/tsc -p tsconfig.build.json \
 && (cd web && ../node_modules/.bin/vite build --logLevel warn) \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && mkdir -p /out/var/lib/logistis

FROM ${RUNIMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules/ node_modules/
COPY --from=build /src/dist/ dist/
# The dashboard, served at /ui/.
COPY --from=build /src/web/dist/ web/dist/
# The webhook and APIService templates, read by `logistis webhook-config` and friends.
COPY deploy/webhook/ deploy/webhook/
COPY deploy/apiservice/ deploy/apiservice/
# A numeric non-root user, so Kubernetes can check runAsNonRoot without reading /etc/passwd. Nothing in the image
# is writable by it: the store lives on a mounted volume (/var/lib/logistis), and the root filesystem can be
# mounted read-only.
USER 65532:65532
COPY --from=build --chown=65532:65532 /out/var/lib/logistis/ /var/lib/logistis/
VOLUME ["/var/lib/logistis"]
EXPOSE 8443
# Exec form: node is PID 1 and receives SIGTERM itself; `logistis serve` finishes in-flight requests and pending
# writes, then exits (a second signal exits at once).
STOPSIGNAL SIGTERM
# Node flags: src/cli/node-flags.ts (the young generation size; a unit test keeps these equal).
ENTRYPOINT ["node", "--max-semi-space-size=8", "/app/dist/cli/logistis.js"]
CMD ["serve", "--listen", "0.0.0.0:8443", "--store", "sqlite:/var/lib/logistis/events.db"]
