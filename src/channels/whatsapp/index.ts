import { existsSync } from 'node:fs';
import type { AppContext } from '../../app/context.js';
import type { ChannelDefinition } from '../registry.js';
import { WhatsAppAdapter, type WhatsAppAdapterOptions } from './adapter.js';
import { chatIdForPhone } from './convert.js';
import { loadRealPlatform } from './real-client.js';

export { WhatsAppAdapter, type WhatsAppAdapterOptions } from './adapter.js';
export type { WhatsAppClient, WhatsAppIncomingMessage, WhatsAppPlatform } from './client.js';
export { chatIdForPhone } from './convert.js';
export { whatsappQrRoutes } from './qr-route.js';
export { readStatus as readWhatsAppStatus, type WhatsAppStatus } from './status.js';

export function createWhatsAppAdapter(
  ctx: AppContext,
  extra: Partial<WhatsAppAdapterOptions> = {},
): WhatsAppAdapter {
  const w = ctx.config.whatsapp;
  if (!extra.loadPlatform && !existsSync(w.chromiumPath))
    throw new Error(
      `CHROMIUM_PATH: ${w.chromiumPath} does not exist (install chromium or set CHROMIUM_PATH)`,
    );
  return new WhatsAppAdapter(ctx, {
    loadPlatform: () =>
      loadRealPlatform({ sessionDir: w.sessionDir, chromiumPath: w.chromiumPath, logger: ctx.logger }),
    messagesPerSecond: w.messagesPerSecond,
    ...extra,
  });
}

/**
 * WhatsApp Web: on with WHATSAPP_ENABLED=true. The session lives in one gateway's browser, so
 * only the gateway may send.
 */
export const whatsappChannel: ChannelDefinition = {
  name: 'whatsapp',
  enabled: (ctx) => ctx.config.whatsapp.enabled,
  createAdapter: (ctx) => createWhatsAppAdapter(ctx),
  sendFrom: 'gateway',
  chatOfPhone: chatIdForPhone,
  deliversCodes: true,
};
