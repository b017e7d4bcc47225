import { existsSync } from 'node:fs';
import type { ChannelDefinition, ChannelDeps } from '../registry.js';
import { WhatsAppAdapter, type WhatsAppAdapterOptions } from './adapter.js';
import { chatIdForPhone } from './convert.js';
import { whatsappQrRoutes } from './qr-route.js';
import { loadRealPlatform } from './real-client.js';
import { whatsappSettings, whatsappSettingsOf } from './settings.js';

export { WhatsAppAdapter, type WhatsAppAdapterOptions } from './adapter.js';
export type { WhatsAppClient, WhatsAppIncomingMessage, WhatsAppPlatform } from './client.js';
export { chatIdForPhone } from './convert.js';
export { whatsappQrRoutes } from './qr-route.js';
export { readStatus as readWhatsAppStatus, type WhatsAppStatus } from './status.js';

export function createWhatsAppAdapter(
  ctx: ChannelDeps,
  extra: Partial<WhatsAppAdapterOptions> = {},
): WhatsAppAdapter {
  const w = whatsappSettingsOf(ctx.config);
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
  enabled: (ctx) => whatsappSettingsOf(ctx.config).enabled,
  createAdapter: (ctx) => createWhatsAppAdapter(ctx),
  sendFrom: 'gateway',
  capabilities: {
    // One session sending about one message a second keeps the business number from being banned.
    partitions: 1,
    sendsPerSecond: (config) => whatsappSettingsOf(config).messagesPerSecond,
    promo: { perSecond: (config) => whatsappSettingsOf(config).messagesPerSecond, preference: 1 },
    // WhatsApp Web buttons are unreliable: menus go as numbered options (convert.ts).
    limits: { text: 65_536, buttons: 0, buttonLabel: 0 },
    documents: true,
  },
  chatOfPhone: chatIdForPhone,
  deliversCodes: true,
  settingProblems: (config) =>
    config.otp.provider === 'whatsapp' && !whatsappSettingsOf(config).enabled
      ? [{ field: 'WHATSAPP_ENABLED', message: 'must be true when OTP_PROVIDER=whatsapp' }]
      : [],
  routes: whatsappQrRoutes,
  settings: whatsappSettings,
};
