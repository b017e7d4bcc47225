import { z } from 'zod';
import { channelDefinition } from '../channels/registry.js';
import type { DeliveryFailure, OutboundMessage } from '../channels/types.js';
import type { Config } from '../config/index.js';
import type { DeadLetterReason, Models } from '../db/index.js';
import { keyedHash } from '../identity/keyed-hash.js';
import { maskPhone } from '../privacy/index.js';
import type { OutboundJobData } from './queues.js';

/** What staff are told about a message that could not go (no text, no chat id in clear). */
export interface DeadLetterNotice {
  id: string;
  channel: string;
  maskedChat: string;
  reason: DeadLetterReason;
  detail: string;
  /** The platform's own error code (WhatsApp Cloud API `131047`), whole. */
  platformCode?: string;
  purpose: string;
  requestRef?: string;
  messageKind: string;
  attempts: number;
  createdAt: Date;
}

export type DeadLetterHook = (notice: DeadLetterNotice) => void | Promise<void>;

/** An opened message (OutboundDelivery), or one a channel reported failed after sending it. */
interface DeadLetterSource {
  channel: string;
  chatId: string;
  /** The message itself, or only its kind when the channel reports it after sending. */
  message: OutboundMessage | { kind: string };
  meta: { purpose?: string; requestRef?: string; promoId?: string };
}

/**
 * What staff may see of a chat: the channel's own masking when it declares one, a phone number
 * at a platform's domain as a masked phone (`+62812****943@c.us`), else the ends of the id
 * (Telegram `123456789` → `12****89`).
 */
export function maskChatId(channel: string, chatId: string): string {
  const own = channelDefinition(channel)?.maskChat?.(chatId);
  if (own) return own;
  // A number at a platform's domain (`6281287611943@c.us`): masked as the phone it is.
  const atDomain = /^(\d{8,15})(@[a-z0-9.-]+)$/.exec(chatId);
  if (atDomain?.[1]) return `${maskPhone(`+${atDomain[1]}`)}${atDomain[2]}`;
  if (chatId.length <= 6) return '****';
  return `${chatId.slice(0, 2)}****${chatId.slice(-2)}`;
}

/** A platform's error sentence may quote ids or addresses: keep its words, not its numbers. */
export function sanitizeDetail(detail: string): string {
  return detail
    .replace(/\S+@\S+/g, '[address]')
    .replace(/\+?\d[\d\s-]{4,}\d/g, '[number]')
    .slice(0, 300);
}

/**
 * A platform's error code is kept whole in its own field, because the detail's digit runs are
 * masked (a Graph API code such as `131047` looks like part of a number). Only what looks like a
 * code is kept: a short token of letters, digits and `_.:-` with no run of 8 digits, so never a
 * sentence or a phone number.
 */
const platformCodeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,16}$/)
  .refine((code) => !/\d{8}/.test(code));

export function platformCodeOf(value: string | undefined): string | undefined {
  const parsed = platformCodeSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** What a chat's hash is keyed with: the OTP secret. */
export interface ChatHashSecret {
  config: { otp: Pick<Config['otp'], 'secret'> };
}

/** What a dead letter is written with: its collection, and the secret its chat's hash is keyed with. */
export interface DeadLetterDeps extends ChatHashSecret {
  models: Pick<Models, 'DeadLetter'>;
}

export function chatHash(ctx: ChatHashSecret, channel: string, chatId: string): string {
  return keyedHash(ctx.config.otp.secret, 'outbound-chat', `${channel}\u0000${chatId}`);
}

/**
 * Writes the dead letter once (keyed by queue, job id and job timestamp, so a retried write
 * is a no-op) and returns what the staff notifier needs. From an opened message or from the
 * job as it rests (sealed or redacted), which carries the chat's hash and masked form.
 */
export async function recordDeadLetter(
  ctx: DeadLetterDeps,
  input: {
    key: string;
    data: DeadLetterSource | OutboundJobData;
    reason: DeadLetterReason;
    detail: string;
    /** The platform's error code, when it gave one: checked to be a code (`platformCodeOf`). */
    platformCode?: string | undefined;
    attempts: number;
  },
): Promise<DeadLetterNotice> {
  const { data } = input;
  const platformCode = platformCodeOf(input.platformCode);
  const chat =
    'chatId' in data
      ? {
          maskedChat: maskChatId(data.channel, data.chatId),
          chatHash: chatHash(ctx, data.channel, data.chatId),
          messageKind: data.message.kind,
        }
      : { maskedChat: data.maskedChat, chatHash: data.chat, messageKind: data.kind };
  const fields = {
    key: input.key,
    channel: data.channel,
    ...chat,
    reason: input.reason,
    detail: sanitizeDetail(input.detail) || input.reason,
    ...(platformCode ? { platformCode } : {}),
    purpose: data.meta.purpose ?? 'reply',
    ...(data.meta.requestRef ? { requestRef: data.meta.requestRef } : {}),
    ...(data.meta.promoId ? { promoId: data.meta.promoId } : {}),
    attempts: input.attempts,
    status: 'open' as const,
    createdAt: new Date(),
  };
  const doc = await ctx.models.DeadLetter.findOneAndUpdate(
    { key: input.key },
    { $setOnInsert: fields },
    { upsert: true, new: true, lean: true },
  ).orFail();
  return {
    id: String(doc._id),
    channel: doc.channel,
    maskedChat: doc.maskedChat,
    reason: doc.reason,
    detail: doc.detail,
    ...(doc.platformCode ? { platformCode: doc.platformCode } : {}),
    purpose: doc.purpose,
    requestRef: doc.requestRef ?? undefined,
    messageKind: doc.messageKind,
    attempts: doc.attempts,
    createdAt: doc.createdAt,
  };
}

/**
 * A message the platform accepted and later reported as not delivered (a status webhook): a dead
 * letter like any other, keyed by the platform's message id (hashed: it may encode the number).
 */
export function recordDeliveryFailure(
  ctx: DeadLetterDeps,
  failure: DeliveryFailure,
): Promise<DeadLetterNotice> {
  return recordDeadLetter(ctx, {
    key: `status/${failure.channel}/${keyedHash(ctx.config.otp.secret, 'dead-letter-status', failure.messageId)}`,
    data: {
      channel: failure.channel,
      chatId: failure.chatId,
      message: { kind: failure.messageKind },
      meta: failure.context,
    },
    reason: failure.code,
    detail: failure.detail,
    platformCode: failure.platformCode,
    attempts: 1,
  });
}
