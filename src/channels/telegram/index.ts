import type { ChannelDefinition } from '../registry.js';
import { createTelegramAdapter } from './adapter.js';
import { telegramSettingProblems, telegramSettings, telegramSettingsOf } from './settings.js';
import { telegramWebhookRoutes } from './webhook-route.js';

/**
 * Telegram lets a bot send about 30 messages a second to different chats before it answers 429;
 * promotions default to 25, leaving room for the bot's ordinary replies.
 */
export const DEFAULT_TELEGRAM_PROMO_RATE = 25;

export { createTelegramAdapter, TelegramAdapter, type TelegramAdapterOptions } from './adapter.js';
export type { TelegramUpdate } from './convert.js';
export { telegramWebhookRoutes } from './webhook-route.js';

/** Telegram: on when a bot token is configured. The Bot API is stateless HTTP: any process may send. */
export const telegramChannel: ChannelDefinition = {
  name: 'telegram',
  enabled: (ctx) => Boolean(telegramSettingsOf(ctx.config).token),
  createAdapter: (ctx) => createTelegramAdapter(ctx),
  sendFrom: 'any',
  capabilities: {
    partitions: 8,
    promo: { perSecond: () => DEFAULT_TELEGRAM_PROMO_RATE, ceiling: 30, preference: 2 },
    // Bot API: 4096 characters a message; an inline keyboard holds up to 100 buttons.
    limits: { text: 4096, buttons: 100, buttonLabel: 64 },
    documents: true,
  },
  routes: telegramWebhookRoutes,
  settings: telegramSettings,
  settingProblems: telegramSettingProblems,
  staffChat: (config) => {
    const { staffChatId, staffUserIds } = telegramSettingsOf(config);
    return staffChatId
      ? { chatId: staffChatId, userIds: staffUserIds, userIdsSetting: 'TELEGRAM_STAFF_USER_IDS' }
      : undefined;
  },
};
