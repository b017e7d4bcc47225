import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { whatsappSettingsOf } from './settings.js';
import { readStatus, type WhatsAppStatus } from './status.js';

/** What the routes read: the WhatsApp settings, and Redis and its key builder (the published status). */
export type WhatsAppQrDeps = Pick<AppContext, 'config' | 'redis' | 'key'>;

const STATE_TEXT: Record<WhatsAppStatus['state'], string> = {
  starting: 'Memulai WhatsApp Web… / Starting WhatsApp Web…',
  'waiting for QR scan': 'Menunggu pindai kode QR / Waiting for QR scan',
  connected: 'Terhubung / Connected',
  reconnecting: 'Menyambung ulang… / Reconnecting…',
  'auth failure': 'Autentikasi gagal, menyambung ulang / Authentication failed, reconnecting',
  stopped: 'Berhenti / Stopped',
};

function page(status: WhatsAppStatus | undefined): string {
  const state = status ? STATE_TEXT[status.state] : 'Gateway belum berjalan / Gateway not running';
  const updated = status ? new Date(status.updatedAt).toISOString() : '–';
  const qr = status?.qrDataUrl
    ? `<img src="${status.qrDataUrl}" alt="WhatsApp QR" width="320" height="320">
<ol>
<li>Buka WhatsApp di ponsel bisnis / Open WhatsApp on the business phone</li>
<li>Perangkat tertaut → Tautkan perangkat / Linked devices → Link a device</li>
<li>Pindai kode ini / Scan this code</li>
</ol>`
    : '';
  return `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>WhatsApp</title></head>
<body style="font-family:sans-serif;max-width:40rem;margin:2rem auto">
<h1>WhatsApp</h1>
<p><strong>${state}</strong> <small>(${updated})</small></p>
${qr}
</body></html>`;
}

/**
 * `/whatsapp/qr`: the link state and, while waiting for a scan, the QR (page refreshes every
 * 10 s; WhatsApp rotates the code). `/whatsapp/qr.png`: the QR alone, 404 when there is none.
 * Read from Redis, so any process running the admin server can serve it.
 */
export function whatsappQrRoutes(ctx: WhatsAppQrDeps): FastifyPluginAsync | undefined {
  if (!whatsappSettingsOf(ctx.config).enabled) return undefined;
  return async (app) => {
    // Linking the business number is for admins only (the console's guard reads `access`).
    app.get('/whatsapp/qr', { config: { access: 'admin' } }, async (_request, reply) => {
      const status = await readStatus(ctx);
      return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page(status));
    });
    app.get('/whatsapp/qr.png', { config: { access: 'admin' } }, async (_request, reply) => {
      const status = await readStatus(ctx);
      if (!status?.qrDataUrl)
        return reply
          .code(404)
          .send({ code: 'NO_QR', message: `No QR to scan (state: ${status?.state ?? 'unknown'})` });
      const png = Buffer.from(status.qrDataUrl.slice('data:image/png;base64,'.length), 'base64');
      return reply.header('cache-control', 'no-store').type('image/png').send(png);
    });
  };
}
