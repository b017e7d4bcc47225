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
    // A 429 does not say which limit it is (Bot FAQ "My bot is hitting limits, how do I avoid
    // this?": ~30 messages a second to different chats, the bot's; 1 a second in one chat; 20 a
    // minute in one group), and the first is the bot's: the whole bot waits out `retry_after`
    // ("seconds left to wait before the request can be repeated"), as python-telegram-bot's rate
    // limiter does. Except in a group (Bot API: groups, supergroups and channels have negative
    // chat ids): there the likeliest limit is the group's own 20 a minute, and the staff chat's
    // burst of cards must not hold every customer's reply for its wait; only its partition waits.
    accountRateLimit: (_error, chatId) => !chatId.startsWith('-'),
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
