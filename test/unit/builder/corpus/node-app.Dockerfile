FROM node:20-bookworm-slim AS base
ENV NODE_ENV=production \
    APP_HOME=/usr/src/app
WORKDIR $APP_HOME
LABEL org.opencontainers.image.title="shop front" \
      org.opencontainers.image.source=https://example.com/shop.git \
      maintainer="Team Shop <shop@example.com>"

FROM base AS deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev

FROM base AS dev-deps
COPY ["package.json", "package-lock.json", "./"]
RUN npm ci

FROM dev-deps AS build
COPY . .
RUN npm run build \
# tests are run in CI, not here
 && npm prune --omit=dev

FROM base
COPY --from=deps ${APP_HOME}/node_modules ./node_modules
COPY --from=build --chown=node:node $APP_HOME/dist ./dist
USER node
EXPOSE 3000
STOPSIGNAL SIGINT
CMD ["node", "dist/server.js"]
