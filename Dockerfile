# Syncscope: collector, console and migrations in one image; the command picks the role:
#   docker run … syncscope start       (embedded chDB, one process)
#   docker run … syncscope collector   (server mode: CLICKHOUSE_URL)
#   docker run … syncscope console     (server mode: CLICKHOUSE_URL)
#   docker run … syncscope migrate
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm install rather than npm ci: the lock file was made on one platform and npm ci cannot resolve
# other platforms' optional native packages from it (see README)
RUN npm install --no-audit --no-fund
COPY . .
RUN npx svelte-kit sync && npx vite build --logLevel warn && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    SYNCSCOPE_DATA_DIR=/var/lib/syncscope \
    HOST=0.0.0.0 \
    OTLP_HOST=0.0.0.0
# server code runs as TypeScript through tsx (a runtime dependency); the console runs from build/
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY package.json ./
COPY bin ./bin
COPY cli ./cli
COPY collector ./collector
COPY src/lib ./src/lib
COPY clickhouse/migrations ./clickhouse/migrations
COPY config ./config
RUN mkdir -p /var/lib/syncscope && chown node:node /var/lib/syncscope
USER node
VOLUME /var/lib/syncscope
# console, OTLP/HTTP, OTLP/gRPC, collector operations (/healthz /readyz /metrics)
EXPOSE 3000 4318 4317 13133
# node as PID 1 gets SIGTERM directly: the commands drain and exit 0 (stop_grace_period covers it)
ENTRYPOINT ["node", "bin/syncscope.js"]
CMD ["start"]
