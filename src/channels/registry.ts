import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app/context.js';
import type { Config, EnvField } from '../config/index.js';
import type { Models } from '../db/index.js';
import { telegramChannel } from './telegram/index.js';
import type { ChannelAdapter, ChannelSendError, OutboundMessage } from './types.js';
import { webchatChannel } from './webchat/index.js';
import { whatsappChannel } from './whatsapp/index.js';
import { whatsappCloudChannel } from './whatsapp-cloud/index.js';

/**
 * What a channel can do, declared by the channel so generic code asks and never names it
 * (outbound partitions and pace, promotion pace, message limits, documents, the window in which
 * the business may write freely).
 */
export interface ChannelCapabilities {
  /**
   * Outbound partitions (queues `outbound-<channel>-<n>`): 1 keeps a session that sends one
   * message at a time in order (WhatsApp Web); stateless HTTP APIs take more, so a slow chat
   * holds up only its share of the others.
   */
  partitions: number;
  /** Messages per second the outbound worker sends at most; absent: as fast as the platform answers. */
  sendsPerSecond?(config: Config): number;
  /**
   * Whether this RATE_LIMITED answer holds for the whole account (the bot, the business number)
   * rather than for one chat: the outbound worker then pauses every partition of the channel for
   * the wait, not only the refused one, whose neighbours would only be refused too and lengthen
   * it. Given the error and the refused chat, for a platform whose codes or chats tell the two
   * apart. Absent: one partition waits (a channel that paces itself).
   */
  accountRateLimit?(error: ChannelSendError, chatId: string): boolean;
  /**
   * Promotions: messages per second when the promo file sets none, the most the platform takes,
   * and the channel's place in the default preference order (absent: only when a file names it).
   */
  promo: { perSecond(config: Config): number; ceiling?: number; preference?: number };
  /** The longest text, the most buttons and the longest button label the platform shows as such. */
  limits: { text: number; buttons: number; buttonLabel: number };
  /** Sends documents (the access package's JSON and PDF). */
  documents: boolean;
  /**
   * Hours after the customer's last message in which the business may write anything; outside
   * it only approved templates (the WhatsApp Cloud API's 24). Absent: no such window.
   */
  serviceWindowHours?: number;
}

/**
 * The group a channel serves as the staff chat (request cards, reminders, dead letters) and the
 * platform user ids its own settings allow to decide there. Personal data: never logged.
 */
export interface StaffChatSettings {
  chatId: string;
  userIds: readonly string[];
  /** The setting that lists `userIds`, for operators' messages (`userIds` empty). */
  userIdsSetting: string;
}

/**
 * What a channel is handed to make its adapter: the config (its own settings are in it), a logger,
 * Redis and its key builder. Nothing of MongoDB: a channel moves messages, it keeps no records.
 */
export type ChannelDeps = Pick<AppContext, 'config' | 'logger' | 'redis' | 'key'>;

/** What a channel keeps of a chat in Redis (keys hashed under a secret of the config). */
export type ChannelStore = Pick<AppContext, 'config' | 'redis' | 'key'>;

/** What its admin-server routes read: the same, and customers (the web chat's demo customer list). */
export type ChannelRouteDeps = ChannelDeps & { models: Pick<Models, 'Customer'> };

/**
 * How a channel plugs in. Adding a channel (e.g. the WhatsApp Cloud API) is one folder under
 * src/channels/ exporting a ChannelDefinition, plus one line in `channelDefinitions` below.
 */
export interface ChannelDefinition {
  readonly name: string;
  /** Configured in this environment (token present, feature switched on…)? */
  enabled(deps: Pick<AppContext, 'config'>): boolean;
  /** The adapter: receives (gateway) and sends. */
  createAdapter(deps: ChannelDeps): ChannelAdapter;
  /**
   * Where its outbound messages may be sent from: `any` process (a stateless HTTP API such as
   * Telegram's), or only the `gateway` that holds the session (WhatsApp Web).
   */
  sendFrom: 'any' | 'gateway';
  capabilities: ChannelCapabilities;
  /**
   * For channels whose chat id is derived from the phone number (WhatsApp: `<digits>@c.us`): the
   * chat of a number, so erasure reaches that chat's copies even if it never verified.
   */
  chatOfPhone?(e164: string): string;
  /** What staff may see of a chat whose id is personal data (a phone number); absent: the id's ends. */
  maskChat?(chatId: string): string | undefined;
  /**
   * Erasure: drop what the channel itself keeps of a chat in our stores (the web chat's reply
   * list, documents included), but the stored messages `keep` spares (the erase request's own
   * acknowledgement, not yet read). Returns whether anything was dropped.
   */
  forgetChat?(
    store: ChannelStore,
    chatId: string,
    keep?: (message: OutboundMessage) => boolean,
  ): Promise<boolean>;
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
  routes?(deps: ChannelRouteDeps): FastifyPluginAsync | undefined;
  /**
   * A channel that can hold the staff chat (STAFF_CHANNEL names it): its group and allowed
   * staff, from its own settings; undefined when no group is configured.
   */
  staffChat?(config: Config): StaffChatSettings | undefined;
}

/** Registered channels. One line per channel. */
export const channelDefinitions: ChannelDefinition[] = [
  telegramChannel,
  whatsappChannel,
  webchatChannel,
  whatsappCloudChannel,
];

/** A promo file's channels when it names none: those that declare a preference, in its order. */
export function defaultPromoChannels(): string[] {
  return channelDefinitions
    .flatMap((d) => (d.capabilities.promo.preference === undefined ? [] : [d]))
    .sort((a, b) => (a.capabilities.promo.preference ?? 0) - (b.capabilities.promo.preference ?? 0))
    .map((d) => d.name);
}

/** The registered channel of that name, if any. */
export function channelDefinition(name: string): ChannelDefinition | undefined {
  return channelDefinitions.find((d) => d.name === name);
}

/** The staff chat: STAFF_CHANNEL's group and allowed staff, when that channel has one configured. */
export function staffChatOf(config: Config): (StaffChatSettings & { channel: string }) | undefined {
  const chat = channelDefinition(config.staffChannel)?.staffChat?.(config);
  return chat ? { ...chat, channel: config.staffChannel } : undefined;
}
