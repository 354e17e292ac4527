# syntax=docker/dockerfile:1
#
# auth-service image. Two runtime targets share one build:
#   docker build -t auth-service .                                  # Node (the default: last stage)
#   docker build -t auth-service:bun --target runtime-bun .         # Bun
#
# Both run the compiled entrypoint directly (exec-form CMD, no `npm start`), so SIGTERM reaches
# the service and its graceful shutdown runs (npm does not forward the signal).
#
# Migrations: dist/cli/migrate.js applies drizzle/ (read from ../../drizzle relative to dist/db,
# hence /app/drizzle beside /app/dist). With MIGRATE_ON_START=true (the default) the service
# migrates itself at start; docker-compose.yml runs them as a one-off job instead.

ARG NODE_VERSION=22
ARG BUN_VERSION=1

# ---- build: all dependencies, compile src/ to dist/ ---------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: runtime dependencies only ------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# ---- app: what both runtimes run, assembled once so the two images cannot drift apart ------
# A scratch stage holds files only; each runtime copies its /app (owned by root, as before: the
# service's user may write only DATA_DIR).
FROM scratch AS app
COPY package.json /app/
COPY --from=prod-deps /app/node_modules /app/node_modules
COPY --from=build /app/dist /app/dist
COPY drizzle /app/drizzle

# ---- runtime-bun: `docker build --target runtime-bun .` ----------------------------------
FROM oven/bun:${BUN_VERSION}-slim AS runtime-bun
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/.data
WORKDIR /app
COPY --from=app /app ./
# The embedded PGlite fallback (no DATABASE_URL) and the development key live under DATA_DIR.
RUN mkdir -p /app/.data && chown bun:bun /app/.data
USER bun
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bun", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["bun", "dist/bun.js"]

# ---- runtime (default): Node ----------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/.data
WORKDIR /app
COPY --from=app /app ./
# The embedded PGlite fallback (no DATABASE_URL) and the development key live under DATA_DIR.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/node.js"]
