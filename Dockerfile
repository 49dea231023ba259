# grantql: the server and its command line in one image.
#   docker build -t grantql .
#   docker run -p 127.0.0.1:4000:4000 -v grantql-data:/data grantql
#   docker run --rm -v grantql-data:/data grantql org create acme --owner boss@acme.example
# compose.yaml runs it on PostgreSQL. Not built or run in this repository's CI (no Docker
# engine there): test/deploy/container.test.ts checks the build context and runs the
# entrypoint and the HEALTHCHECK command directly.

# --- build: production dependencies, better-sqlite3 compiled if no prebuilt binary fits ---
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- console and server JavaScript: the /console front end (Vite, React) and the server compiled
# by TypeScript (dev dependencies), built here; only dist/console and build/ are kept ---
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: bundling needs no native build (better-sqlite3 is the server's), and
# prepare would try to build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.server.json ./
COPY console ./console
COPY src ./src
COPY bin ./bin
COPY scripts ./scripts
RUN npm run build:console && npm run build:server

# --- runtime: no compiler, no dev dependencies, not root ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    GRANTQL_DATA_DIR=/data
RUN groupadd --system --gid 10001 grantql \
 && useradd --system --uid 10001 --gid grantql --home-dir /app --shell /usr/sbin/nologin grantql \
 && mkdir -p /data \
 && chown grantql:grantql /data \
 && chmod 0700 /data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json LICENSE ./
COPY bin ./bin
COPY src ./src
COPY drizzle ./drizzle
COPY presets ./presets
# Served at /console only with GRANTQL_CONSOLE=true (NODE_ENV=production switches it off by default).
COPY --from=console /app/dist/console ./dist/console
# The server as JavaScript: bin/grantql.js runs it (nothing transpiled at start); src/ stays for
# the source fallback, which runs only if a source were newer than this build.
COPY --from=console /app/build ./build
COPY scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
USER grantql
# SQLite database and owner.key (with GRANTQL_DATABASE_URL only owner.key lives here).
VOLUME ["/data"]
EXPOSE 4000
# /ready: 200 once the database answers and the index is current (503 with a reason otherwise).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
CMD ["serve"]
