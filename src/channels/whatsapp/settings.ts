import { z } from 'zod';
import { bool, type Config, type EnvField } from '../../config/index.js';

/**
 * WhatsApp Web's settings, declared by the channel and merged into the config schema (and so into
 * `.env.example` and the README's settings table) through its ChannelDefinition.
 */

export const whatsappSettings = {
  WHATSAPP_ENABLED: {
    schema: bool.default(false),
    example: 'true',
    description: 'Run the WhatsApp Web channel (needs Chromium).',
    secret: false,
  },
  WHATSAPP_SESSION_DIR: {
    schema: z.string().default('.hakdata/whatsapp-session'),
    example: '/data/whatsapp-session',
    description: 'Where whatsapp-web.js LocalAuth keeps the linked session.',
    secret: false,
  },
  WHATSAPP_MESSAGES_PER_SECOND: {
    schema: z.coerce.number().positive().max(20).default(1),
    example: '1',
    description: 'Outbound WhatsApp rate, to keep the business number from being banned.',
    secret: false,
  },
  CHROMIUM_PATH: {
    schema: z.string().default('/usr/bin/chromium'),
    example: '/usr/bin/chromium',
    description: 'Chromium executable.',
    secret: false,
  },
} satisfies Record<string, EnvField>;

// Read back from the parsed values (the defaults again, for a config loaded without channel settings).
const parsed = z.object({
  WHATSAPP_ENABLED: z.boolean().default(false),
  WHATSAPP_SESSION_DIR: z.string().default('.hakdata/whatsapp-session'),
  WHATSAPP_MESSAGES_PER_SECOND: z.number().default(1),
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
});

export interface WhatsAppSettings {
  enabled: boolean;
  sessionDir: string;
  messagesPerSecond: number;
  chromiumPath: string;
}

export function whatsappSettingsOf(config: Pick<Config, 'channelSettings'>): WhatsAppSettings {
  const s = parsed.parse(config.channelSettings ?? {});
  return {
    enabled: s.WHATSAPP_ENABLED,
    sessionDir: s.WHATSAPP_SESSION_DIR,
    messagesPerSecond: s.WHATSAPP_MESSAGES_PER_SECOND,
    chromiumPath: s.CHROMIUM_PATH,
  };
}
