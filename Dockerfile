# syntax=docker/dockerfile:1
# Switchboard gateway image: docs/deployment.md#docker.
#
#   docker build -t switchboard .
#   docker run -p 8080:8080 -v switchboard-data:/data switchboard
#
# Both stages use the same base image: better-sqlite3 is a native addon, and the copy compiled
# (or downloaded prebuilt) in the build stage must match the runtime's Node ABI and C library.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# A compiler for better-sqlite3 when no prebuilt binary matches this platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: the root "prepare" script would build before the sources are copied, and the
# dev tools' download scripts (editor CLIs, workerd, sharp) are not needed for a build. The one
# install script that matters, better-sqlite3's (prebuilt binary, else compile), runs here.
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY ui ./ui
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite:/data/switchboard.db \
    USAGE_BUFFER_FILE=/data/usage-journal.jsonl
WORKDIR /app
# Production dependencies only (pruned in the build stage, native addon included), the server
# (dist/) and the admin panel (ui/dist/, served from ../../../ui/dist relative to dist/runtime/node).
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/ui/dist ./ui/dist
# The only place the gateway writes: the SQLite default keeps its database (and generated sealing
# key) here; on Postgres without Redis, the usage journal (USAGE_BUFFER_FILE, usage.buffer.file),
# which holds usage records until Postgres has them (the default, the working directory /app, is
# read-only to the node user).
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
VOLUME ["/data"]
# The node image's unprivileged user (uid 1000); the code above stays owned by root, read-only to it.
USER node
EXPOSE 8080
# No curl in slim images: Node's own fetch. 200 = serving (shared state, or Postgres with the
# usage buffer holding records, may be degraded), 503 = its database does not answer and nothing
# lets it serve without. It asks the address `serve` binds for HOST (a wildcard on loopback, an
# IPv6 address in brackets), so a HOST naming one interface still passes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const h=process.env.HOST||'0.0.0.0';const a=h==='0.0.0.0'||h==='::'?'127.0.0.1':h.includes(':')?'['+h+']':h;fetch('http://'+a+':'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains for server.drain_ms (30 s by default): give `docker stop` a longer time-out.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli/main.js", "serve"]
