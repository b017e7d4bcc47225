import { createHash } from 'node:crypto';
import { z } from 'zod';
import { channelDefinition } from '../channels/registry.js';
import type { OutboundMessage } from '../channels/types.js';
import type { OutboundMeta } from './types.js';

/**
 * What the outbound producer (outbox.ts) and the sender (worker.ts) agree on:
 * queue names, the chat → partition rule and the job's shape.
 *
 * Ordering design: each channel has N partition queues `outbound-<channel>-<p>`; a chat always
 * hashes to the same partition and each partition has one job active at a time over all
 * processes (BullMQ's global concurrency, set by the worker), so one chat's messages leave in the
 * order they were queued while different partitions send in parallel.
 * BullMQ's own retries would move a failed job to the delayed set and let the next message of
 * the same chat overtake it, so the worker never uses them: a message that must wait pauses its
 * whole partition (queue.rateLimit) and goes back to the head of the line.
 */

export const DEFAULT_PARTITIONS = 8;

/**
 * Partitions per channel, as the channel declares them (ChannelCapabilities.partitions): one for a
 * session that sends one message at a time (WhatsApp Web), eight for stateless HTTP APIs so a slow
 * or rate-limited chat holds up only an eighth of the others. An unregistered name gets eight.
 */
export type PartitionRule = (channel: string) => number;
export const defaultPartitions: PartitionRule = (channel) =>
  channelDefinition(channel)?.capabilities.partitions ?? DEFAULT_PARTITIONS;

/** A channel name as registered: lowercase letters, digits, `_`, `-` (part of a queue name). */
export const channelNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a lowercase channel name');

export function outboundQueueName(channel: string, partition: number): string {
  return `outbound-${channel}-${partition}`;
}

/** Every partition queue of a channel, in partition order. */
export function outboundQueueNames(channel: string, partitions: number): string[] {
  return Array.from({ length: Math.max(1, partitions) }, (_, p) => outboundQueueName(channel, p));
}

/** Stable chat → partition: the first 4 bytes of SHA-256, modulo the partition count. */
export function partitionOf(chatId: string, partitions: number): number {
  if (partitions <= 1) return 0;
  return createHash('sha256').update(chatId).digest().readUInt32BE(0) % partitions;
}

const buttonSchema = z.object({ label: z.string().min(1).max(200), value: z.string().min(1).max(64) });

/** MessagePlacement (channels/types.ts): platform message ids and a group member to ask. */
const platformIdSchema = z.string().min(1).max(128);
const placement = {
  replyTo: platformIdSchema.optional(),
  replaces: platformIdSchema.optional(),
  askReplyFrom: z
    .object({
      userId: platformIdSchema,
      name: z.string().min(1).max(64),
      placeholder: z.string().min(1).max(64).optional(),
    })
    .optional(),
};

/** Checked at the producer, so a malformed message fails the caller instead of the queue. */
export const outboundMessageSchema: z.ZodType<OutboundMessage> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string().min(1).max(8192), ...placement }),
  z.object({
    kind: z.literal('buttons'),
    text: z.string().min(1).max(8192),
    buttons: z.array(buttonSchema).min(1).max(20),
    ...placement,
  }),
  z.object({
    kind: z.literal('contact_request'),
    text: z.string().min(1).max(8192),
    buttonLabel: z.string().min(1).max(200),
  }),
  z.object({
    kind: z.literal('document'),
    fileName: z.string().min(1).max(200),
    mimeType: z.string().min(1).max(200),
    // 50 MB file (Telegram's limit) as base64.
    contentBase64: z.string().max(70_000_000),
    caption: z.string().max(1024).optional(),
  }),
]);

const correlationSchema = z.string().regex(/^[A-Za-z0-9:_.-]{1,128}$/);

export const outboundMetaSchema: z.ZodType<OutboundMeta> = z.object({
  requestRef: z.string().max(64).optional(),
  promoId: z.string().max(64).optional(),
  customerId: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional(),
  inboundAt: z.number().int().positive().optional(),
  dedupeKey: z.string().min(1).max(500).optional(),
  correlation: correlationSchema.optional(),
  purpose: z.enum(['reply', 'notification', 'promo', 'staff', 'otp']).optional(),
});

/** What the producer seals and the worker opens: the only personal part of a job. */
export interface SealedContent {
  chatId: string;
  message: OutboundMessage;
}

export const sealedContentSchema: z.ZodType<SealedContent> = z.object({
  chatId: z.string().min(1).max(128),
  message: outboundMessageSchema,
});

/** What a job keeps of its meta: the dedupe key (it may quote a chat id) only ever reaches BullMQ hashed. */
export type StoredMeta = Omit<OutboundMeta, 'dedupeKey'>;

/**
 * One message of one chat: a job. A `send` of several messages is several jobs, queued atomically.
 * At rest it holds nothing personal in clear: the chat id and the message are `sealed`
 * (seal.ts), the chat appears only as a keyed hash and a masked form for staff. A
 * dead-lettered job is redacted: `sealed` is dropped and `redacted` says why.
 */
export interface OutboundJobData {
  channel: string;
  /** Keyed hash of channel and chat id (chatHash in dead-letter.ts): names the sealing key. */
  chat: string;
  /** `+62812****943@c.us`, `12****89`: what staff may see. */
  maskedChat: string;
  /** 'text', 'document'…: never the content. */
  kind: OutboundMessage['kind'];
  /** `SealedContent`, AES-256-GCM under the chat's key; absent once redacted. */
  sealed?: string;
  /** The dead-letter reason of a redacted job. */
  redacted?: string;
  meta: StoredMeta;
  /** Position within the producer's `send` call. */
  part: { index: number; total: number };
  enqueuedAt: number;
}

/** Checked by the worker: a job added by hand (the dashboard can add jobs) must not crash it. */
export const outboundJobDataSchema = z.object({
  channel: channelNameSchema,
  chat: z.string().regex(/^[0-9a-f]{64}$/),
  maskedChat: z.string().max(200),
  kind: z.enum(['text', 'buttons', 'contact_request', 'document']),
  sealed: z.string().max(100_000_000).optional(),
  redacted: z.string().max(300).optional(),
  meta: z.object({
    requestRef: z.string().max(64).optional(),
    promoId: z.string().max(64).optional(),
    customerId: z
      .string()
      .regex(/^[0-9a-f]{24}$/)
      .optional(),
    inboundAt: z.number().int().positive().optional(),
    correlation: correlationSchema.optional(),
    purpose: z.enum(['reply', 'notification', 'promo', 'staff', 'otp']).optional(),
  }),
  part: z.object({ index: z.number().int().min(0), total: z.number().int().min(1) }),
  enqueuedAt: z.number(),
});

/**
 * A job queued by a version before sealing (chat id and message in clear): still sent after an
 * upgrade, so a deploy loses nothing; it is redacted or removed like any other afterwards.
 */
export const legacyJobDataSchema = z.object({
  channel: channelNameSchema,
  chatId: z.string().min(1).max(128),
  message: outboundMessageSchema,
  meta: outboundMetaSchema,
  part: z.object({ index: z.number().int().min(0), total: z.number().int().min(1) }),
  enqueuedAt: z.number(),
});

/** The associated data a job's seal is bound to: its channel and chat. */
export const sealContext = (data: Pick<OutboundJobData, 'channel' | 'chat'>) =>
  `${data.channel}\u0000${data.chat}`;

/** A job's message, opened: what the adapter is given. */
export interface OutboundDelivery extends SealedContent {
  channel: string;
  meta: StoredMeta;
  part: { index: number; total: number };
  enqueuedAt: number;
}

/** What a dead-lettered job keeps: where it was going (masked) and why it stopped. */
export function redactJobData(data: OutboundJobData, reason: string): OutboundJobData {
  const { sealed: _dropped, ...rest } = data;
  return { ...rest, redacted: reason };
}

/**
 * Kept in the job's `progress` field (written without rewriting the message): how often the
 * send failed, how often the channel asked us to slow down, and a dead letter still to be written.
 */
export interface OutboundProgress {
  sends: number;
  failures: number;
  rateLimitHits: number;
  lastCode?: string;
  deadLetter?: { reason: string; detail: string; platformCode?: string };
}

const progressSchema = z.object({
  sends: z.number().int().min(0).default(0),
  failures: z.number().int().min(0).default(0),
  rateLimitHits: z.number().int().min(0).default(0),
  lastCode: z.string().optional(),
  deadLetter: z
    .object({ reason: z.string(), detail: z.string(), platformCode: z.string().optional() })
    .optional(),
});

export function readProgress(value: unknown): OutboundProgress {
  // A fresh job's progress is 0: nothing tried yet.
  if (typeof value !== 'object' || value === null) return { sends: 0, failures: 0, rateLimitHits: 0 };
  const parsed = progressSchema.safeParse(value);
  return parsed.success ? parsed.data : { sends: 0, failures: 0, rateLimitHits: 0 };
}
