import type { ChannelDefinition } from '../registry.js';
import { createTelegramAdapter } from './adapter.js';

export { createTelegramAdapter, TelegramAdapter, type TelegramAdapterOptions } from './adapter.js';
export type { TelegramUpdate } from './convert.js';
export { telegramWebhookRoutes } from './webhook-route.js';

/** Telegram: on when a bot token is configured. The Bot API is stateless HTTP: any process may send. */
export const telegramChannel: ChannelDefinition = {
  name: 'telegram',
  enabled: (ctx) => Boolean(ctx.config.telegram.token),
  createAdapter: (ctx) => createTelegramAdapter(ctx),
  sendFrom: 'any',
};
