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

RUN mkdir -p /data/whatsapp && chown -R node:node /data /app
USER node
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.ADMIN_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/cli.ts", "start"]
