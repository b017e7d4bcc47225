import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app/context.js';
import type { Config } from '../config/index.js';
import type { EnvField } from '../config/schema.js';
import { telegramChannel } from './telegram/index.js';
import type { ChannelAdapter } from './types.js';
import { webchatChannel } from './webchat/index.js';
import { whatsappChannel } from './whatsapp/index.js';
import { whatsappCloudChannel } from './whatsapp-cloud/index.js';

/**
 * How a channel plugs in. Adding a channel (e.g. the WhatsApp Cloud API) is one folder under
 * src/channels/ exporting a ChannelDefinition, plus one line in `channelDefinitions` below.
 */
export interface ChannelDefinition {
  readonly name: string;
  /** Configured in this environment (token present, feature switched on…)? */
  enabled(ctx: AppContext): boolean;
  /** The adapter: receives (gateway) and sends. */
  createAdapter(ctx: AppContext): ChannelAdapter;
  /**
   * Where its outbound messages may be sent from: `any` process (a stateless HTTP API such as
   * Telegram's), or only the `gateway` that holds the session (WhatsApp Web).
   */
  sendFrom: 'any' | 'gateway';
  /**
   * For channels whose chat id is derived from the phone number (WhatsApp: `<digits>@c.us`): the
   * chat of a number, so erasure reaches that chat's copies even if it never verified.
   */
  chatOfPhone?(e164: string): string;
  /**
   * Erasure: drop what the channel itself keeps of a chat in our stores (the web chat's reply
   * list, documents included). Returns whether there was anything.
   */
  forgetChat?(ctx: AppContext, chatId: string): Promise<boolean>;
  /**
   * The channel's own settings (environment variables), merged into the config schema, the
   * README's settings table and `.env.example` (src/app/settings.ts). Read back from
   * `config.channelSettings` by the channel itself.
   */
  settings?: Record<string, EnvField>;
  /** Its settings that only make sense together, checked when the config is loaded. */
  settingProblems?(config: Config): { field: string; message: string }[];
  /** May carry one-time codes: OTP_PROVIDER may name it (codes go to `chatOfPhone(number)`). */
  deliversCodes?: boolean;
  /** What it serves on the admin server (a webhook); undefined when off. */
  routes?(ctx: AppContext): FastifyPluginAsync | undefined;
}

/** Registered channels. One line per channel. */
export const channelDefinitions: ChannelDefinition[] = [
  telegramChannel,
  whatsappChannel,
  webchatChannel,
  whatsappCloudChannel,
];
