# syntax=docker/dockerfile:1
# Build: compile the app and the local page (TypeScript, a dev dependency); tests and benches stay out.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.base.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY views ./views
RUN npm run build

# Run: production dependencies and the compiled app only, as a non-root user.
FROM node:20-slim
ENV NODE_ENV=production PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY manifest.yml ./
# The saved-query catalog, read (and checked) at start-up.
COPY queries ./queries
# The pipeline sources checked for freshness, validated at start-up (SOURCES_FILE).
COPY sources.yml ./
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
