import { z } from 'zod';
import { type Config, csv, type EnvField, field, httpUrl } from '../../config/index.js';

/**
 * Telegram's settings, declared by the channel and merged into the config schema (and so into
 * `.env.example` and the README's settings table) through its ChannelDefinition. The names are
 * those deployments already use. The channel is on when a bot token is set.
 */

const DEFAULT_API_ROOT = 'https://api.telegram.org';

export const telegramSettings = {
  TELEGRAM_BOT_TOKEN: field(
    z
      .string()
      .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'must look like 123456789:AA… (from @BotFather)')
      .optional(),
    '123456789:AAExampleTokenFromBotFather_abcdef',
    'Telegram bot token from @BotFather; the Telegram channel is off without it.',
    { secret: true },
  ),
  TELEGRAM_API_ROOT: field(
    httpUrl().default(DEFAULT_API_ROOT),
    DEFAULT_API_ROOT,
    'Bot API server (tests point it at a local fake).',
  ),
  TELEGRAM_WEBHOOK_URL: field(
    httpUrl('must be an https URL').optional(),
    'https://bot.example.id/telegram/webhook',
    'Public URL for webhook mode; long polling when unset.',
  ),
  TELEGRAM_WEBHOOK_SECRET: field(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, '16-256 characters of A-Z a-z 0-9 _ -')
      .optional(),
    'a-long-random-secret-token',
    'Secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token (webhook mode).',
    { secret: true },
  ),
  TELEGRAM_BOT_USERNAME: field(
    z.string().optional(),
    'SanitaJayaBot',
    'Bot username, used for the "talk to me privately" link in groups.',
  ),
  TELEGRAM_STAFF_CHAT_ID: field(
    z
      .string()
      .regex(/^-?\d+$/, 'must be a numeric chat id')
      .optional(),
    '-1001234567890',
    'Telegram chat where staff receive flagged requests and reminders (the staff chat when STAFF_CHANNEL=telegram).',
  ),
  TELEGRAM_STAFF_USER_IDS: field(
    csv.pipe(z.array(z.string().regex(/^\d+$/, 'each id must be numeric'))).default([]),
    '111111,222222',
    'Comma-separated Telegram user ids allowed to approve or reject.',
  ),
} satisfies Record<string, EnvField>;

// Read back from the parsed values (the defaults again, for a config loaded without channel settings).
const parsed = z.object({
  TELEGRAM_BOT_TOKEN: z.string().optional(),
  TELEGRAM_API_ROOT: z.string().default(DEFAULT_API_ROOT),
  TELEGRAM_WEBHOOK_URL: z.string().optional(),
  TELEGRAM_WEBHOOK_SECRET: z.string().optional(),
  TELEGRAM_BOT_USERNAME: z.string().optional(),
  TELEGRAM_STAFF_CHAT_ID: z.string().optional(),
  TELEGRAM_STAFF_USER_IDS: z.array(z.string()).default([]),
});

export interface TelegramSettings {
  token: string | undefined;
  apiRoot: string;
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  botUsername: string | undefined;
  staffChatId: string | undefined;
  staffUserIds: string[];
}

export function telegramSettingsOf(config: Pick<Config, 'channelSettings'>): TelegramSettings {
  const s = parsed.parse(config.channelSettings ?? {});
  return {
    token: s.TELEGRAM_BOT_TOKEN,
    apiRoot: s.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
    webhookUrl: s.TELEGRAM_WEBHOOK_URL,
    webhookSecret: s.TELEGRAM_WEBHOOK_SECRET,
    botUsername: s.TELEGRAM_BOT_USERNAME,
    staffChatId: s.TELEGRAM_STAFF_CHAT_ID,
    staffUserIds: s.TELEGRAM_STAFF_USER_IDS,
  };
}

/** Settings that only make sense together (checked when the config is loaded). */
export function telegramSettingProblems(
  config: Pick<Config, 'channelSettings'>,
): { field: string; message: string }[] {
  const s = telegramSettingsOf(config);
  const problems: { field: string; message: string }[] = [];
  if (s.webhookUrl && !s.token)
    problems.push({ field: 'TELEGRAM_BOT_TOKEN', message: 'is required when TELEGRAM_WEBHOOK_URL is set' });
  if (s.webhookUrl && !s.webhookSecret)
    problems.push({
      field: 'TELEGRAM_WEBHOOK_SECRET',
      message: 'is required in webhook mode, so forged updates are refused',
    });
  return problems;
}
