# hakdata: one image for every role (ROLE=all|gateway|worker|admin).
FROM node:20-bookworm-slim

# Debian's Chromium for whatsapp-web.js (puppeteer downloads no browser: see .puppeteerrc.cjs),
# fonts so PDFs and WhatsApp Web render, tini to forward signals for graceful shutdown.
RUN apt-get update \
  && apt-get install -y --no-install-recommends chromium fonts-liberation tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    CHROMIUM_PATH=/usr/bin/chromium \
    PUPPETEER_SKIP_DOWNLOAD=true \
    WHATSAPP_SESSION_DIR=/data/whatsapp \
    ADMIN_HOST=0.0.0.0 \
    ADMIN_PORT=3000

WORKDIR /app
COPY package.json package-lock.json .puppeteerrc.cjs ./
# tsx runs the TypeScript sources directly (no build step to forget); dev tools are not needed.
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY flows ./flows
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs

RUN mkdir -p /data/whatsapp && chown -R node:node /data /app
USER node
VOLUME ["/data"]
EXPOSE 3000

# /healthz on the port the role serves it: the admin port (ROLE=all, admin), METRICS_PORT (gateway,
# worker: set it, or the check fails saying so). See deploy/healthcheck.mjs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "deploy/healthcheck.mjs", "/healthz"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/cli.ts", "start"]
