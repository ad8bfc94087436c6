# syntax=docker/dockerfile:1
# gateway-worker image: compiled JavaScript on Node.js 22 LTS, production dependencies only,
# running as a numeric non-root user on a read-only root filesystem (only /tmp is written,
# and the Helm chart mounts an emptyDir there).
#
#   docker build -t ghcr.io/awesomeapibrasil/gateway-worker:$(node -p 'require("./package.json").version') .
#
# Pin the base by digest in release builds: --build-arg NODE_IMAGE=node:22-bookworm-slim@sha256:...
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: every dependency, TypeScript compiled to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: compiling needs none of them (esbuild and buf only serve tsx and codegen).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc copies no data files: the gRPC descriptor set (served by reflection) goes beside dist/generated.
RUN npm run build \
    && mkdir -p dist/generated \
    && cp src/generated/*.binpb dist/generated/

# ---- dependencies: production only ----
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ----
FROM ${NODE_IMAGE}
# pg_dump and pg_restore for DatabaseBackup: they must be at least as new as the gateway's
# PostgreSQL, so they come from the PostgreSQL project's Debian repository (PGDG), newest major
# by default; postgresql-common only sets up that repository and is removed again.
ARG PG_CLIENT_MAJOR=17
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends postgresql-client-${PG_CLIENT_MAJOR} \
    && apt-get purge -y --auto-remove postgresql-common \
    && rm -rf /var/lib/apt/lists/*
# The package managers are not needed to run, so they are not shipped.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production \
    HOME=/tmp
WORKDIR /app
# Owned by root and read-only to the process; package.json carries "type": "module" and the version.
COPY package.json ./
COPY bin ./bin
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
# gRPC (WorkerService, health, reflection) and HTTP (/health, /ready, /metrics).
EXPOSE 8080 8081
ENTRYPOINT ["node", "bin/gateway-worker.js"]
CMD ["operator"]
