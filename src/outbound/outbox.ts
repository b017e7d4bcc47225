import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { z } from 'zod';
import type { AppContext } from '../app/context.js';
import { fitMessage } from '../channels/fit.js';
import { channelDefinition } from '../channels/registry.js';
import type { OutboundMessage } from '../channels/types.js';
import { keyedHash } from '../identity/keyed-hash.js';
import { logTag } from '../logging/logger.js';
import { type QueueStore, queueOptions, sharedConnectionQueue } from '../queues/options.js';
import { chatHash, maskChatId } from './dead-letter.js';
import {
  channelNameSchema,
  defaultPartitions,
  type OutboundJobData,
  outboundMessageSchema,
  outboundMetaSchema,
  outboundQueueName,
  outboundQueueNames,
  type PartitionRule,
  partitionOf,
  type SealedContent,
  sealContext,
} from './queues.js';
import { type SealStore, seal, sealingKey } from './seal.js';
import type { OutboundMeta, Outbox } from './types.js';

export interface OutboxOptions {
  /** Must match the worker's rule. */
  partitions?: PartitionRule;
  /** How long a dedupeKey is remembered (default 24 h). */
  dedupeTtlMs?: number;
  /**
   * Failed (dead-lettered) jobs stay on the queue dashboard this long, redacted (masked chat,
   * reason, no message); the `deadletters` document is the lasting record.
   */
  keepFailedSeconds?: number;
}

/** What the outbox counted since it was created (metrics come later). */
export interface OutboxStats {
  /** Messages not queued because one with the same dedupe key was queued within its TTL. */
  duplicatesSkipped: number;
}

/** The Outbox plus `backlog`, `close()` and its counters, for the process that owns it. */
export interface OutboxHandle extends Outbox {
  /**
   * Messages queued for a channel and not yet taken by a sender (waiting, prioritized, delayed),
   * over all its partitions: lets a bulk producer (promotions) keep the queue short.
   */
  backlog(channel: string): Promise<number>;
  close(): Promise<void>;
  stats(): OutboxStats;
}

/** The chats' sealing keys, the partition queues, the logger and the duplicate counter. */
export type OutboxDeps = SealStore & QueueStore & Pick<AppContext, 'logger' | 'metrics'>;

/** Raised for a call the outbox cannot queue (bad channel name, malformed message). */
export class OutboxError extends Error {
  constructor(
    readonly code: 'INVALID_MESSAGE',
    message: string,
  ) {
    super(message);
    this.name = 'OutboxError';
  }
}

const sendArgsSchema = z.object({
  channel: channelNameSchema,
  chatId: z.string().min(1).max(128),
  messages: z.array(outboundMessageSchema).max(50),
  meta: outboundMetaSchema,
});

/**
 * The producer side of the outbound queue: every message to a customer or to staff is queued
 * here and sent by the outbound worker, in order per chat.
 */
export function createOutbox(ctx: OutboxDeps, options: OutboxOptions = {}): OutboxHandle {
  const partitions = options.partitions ?? defaultPartitions;
  const dedupeTtlMs = options.dedupeTtlMs ?? 24 * 3600_000;
  const keepFailedSeconds = options.keepFailedSeconds ?? 24 * 3600;
  const queues = new Map<string, Queue<OutboundJobData>>();
  const logger = ctx.logger.child({ component: 'outbox' });
  let duplicatesSkipped = 0;

  const queueFor = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      queue = sharedConnectionQueue(
        new Queue<OutboundJobData>(name, {
          ...queueOptions(ctx),
          defaultJobOptions: {
            // Gone from Redis once sent; a dead-lettered job is redacted by the worker (sealed part dropped).
            removeOnComplete: true,
            removeOnFail: { age: keepFailedSeconds, count: 1000 },
          },
        }),
      );
      queues.set(name, queue);
    }
    return queue;
  };

  return {
    async send(channel: string, chatId: string, messages: OutboundMessage[], meta: OutboundMeta = {}) {
      const parsed = sendArgsSchema.safeParse({ channel, chatId, messages, meta });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new OutboxError(
          'INVALID_MESSAGE',
          `Outbound message refused: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'invalid'}`,
        );
      }
      // Each part a message of its own: what the channel declares it shows (src/channels/fit.ts).
      const limits = channelDefinition(channel)?.capabilities.limits;
      const fitted = limits
        ? parsed.data.messages.flatMap((m) => fitMessage(m, limits))
        : parsed.data.messages;
      if (fitted.length === 0) return;
      const name = outboundQueueName(channel, partitionOf(chatId, partitions(channel)));
      // Keyed: a dedupe key names the chat (`reply:telegram:<chat>:<n>`), and an unkeyed digest of
      // it is reversed by trying every chat id.
      const dedupe = meta.dedupeKey
        ? keyedHash(ctx.config.otp.secret, 'outbound-dedupe', meta.dedupeKey)
        : undefined;
      const enqueuedAt = Date.now();
      // Nothing personal rests in Redis in clear: chat id and message are sealed under the chat's
      // key (seal.ts), which erasure destroys; the dedupe key only ever as its hash.
      const chat = chatHash(ctx, channel, chatId);
      const key = await sealingKey(ctx, channel, chatId);
      const { dedupeKey: _hashedAbove, ...storedMeta } = parsed.data.meta;
      const sealedData = (message: OutboundMessage, index: number): OutboundJobData => {
        const data: OutboundJobData = {
          channel,
          chat,
          maskedChat: maskChatId(channel, chatId),
          kind: message.kind,
          meta: storedMeta,
          part: { index, total: fitted.length },
          enqueuedAt,
        };
        data.sealed = seal(key, { chatId, message } satisfies SealedContent, sealContext(data));
        return data;
      };
      const jobs = fitted.map((message, index) => ({
        name: meta.purpose ?? 'message',
        data: sealedData(message, index),
        // With a dedupe key, a job id of our own: BullMQ answers a deduplicated add with the job
        // already holding the key ("deduplicated" event; the add returns that job's id), so an
        // id other than ours is how a skipped message is told apart from a queued one.
        opts: dedupe
          ? { jobId: randomUUID(), deduplication: { id: `${dedupe}:${index}`, ttl: dedupeTtlMs } }
          : {},
      }));
      const queue = queueFor(name);
      // addBulk is one MULTI: all messages of a call enter the partition together, in order.
      const added =
        jobs.length === 1 && jobs[0]
          ? [await queue.add(jobs[0].name, jobs[0].data, jobs[0].opts)]
          : await queue.addBulk(jobs);
      const skipped = jobs.filter((job, i) => job.opts.jobId && added[i]?.id !== job.opts.jobId).length;
      if (skipped > 0) {
        duplicatesSkipped += skipped;
        ctx.metrics?.outboundDuplicatesSkipped.inc({ channel, purpose: meta.purpose ?? 'message' }, skipped);
        // Never silent: a reply lost here would look like a bot that ignores the customer.
        logger.info(
          {
            queue: name,
            chatTag: logTag(ctx.config.otp.secret, `${channel}:${chatId}`),
            skipped,
            count: fitted.length,
            purpose: meta.purpose,
            requestRef: meta.requestRef,
          },
          'outbound skipped as a duplicate: a message with the same dedupe key was queued within its TTL',
        );
      }
      if (!logger.isLevelEnabled('debug')) return;
      logger.debug(
        {
          queue: name,
          chatTag: logTag(ctx.config.otp.secret, `${channel}:${chatId}`),
          count: fitted.length,
          purpose: meta.purpose,
          requestRef: meta.requestRef,
        },
        'outbound queued',
      );
    },
    async backlog(channel: string) {
      const names = outboundQueueNames(channel, partitions(channel));
      const counts = await Promise.all(
        names.map((name) => queueFor(name).getJobCounts('waiting', 'prioritized', 'delayed')),
      );
      return counts.reduce((sum, c) => sum + (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0), 0);
    },
    async close() {
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
    stats: () => ({ duplicatesSkipped }),
  };
}
