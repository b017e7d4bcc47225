import { Queue } from 'bullmq';
import type { OutboundMessage } from '../channels/types.js';
import { type QueueStore, queueOptions, sharedConnectionQueue } from '../queues/options.js';
import { chatHash } from './dead-letter.js';
import {
  defaultPartitions,
  type OutboundJobData,
  outboundQueueName,
  type PartitionRule,
  partitionOf,
  type StoredMeta,
  sealContext,
  sealedContentSchema,
} from './queues.js';
import { destroySealingKey, openingKey, type SealStore, unseal } from './seal.js';

/** Job states a message can rest in before or after its send (active ones are mid-send: left alone). */
const RESTING = ['waiting', 'delayed', 'prioritized', 'paused', 'failed', 'waiting-children'] as const;
/** How many jobs per state are looked at: the rest are unreadable anyway once the key is gone. */
const LOOK_AT = 2000;

export interface OutboundPurge {
  keysDestroyed: number;
  jobsRemoved: number;
  /**
   * Removed messages that `keep` spared, opened with the chat's key before it went, in the order
   * they were queued: for the caller to queue again (under the chat's next key).
   */
  spared: SparedMessage[];
}

/** The chats' sealing keys and their partition queues. */
export type OutboundPurgeDeps = SealStore & QueueStore;

export interface SparedMessage {
  channel: string;
  chatId: string;
  message: OutboundMessage;
  meta: StoredMeta;
}

/**
 * Erasure of a chat's outbound messages: its sealing key first (every queued copy becomes
 * unreadable at once, found or not), then the jobs of its partition that belong to it are
 * removed, failed (redacted) ones included. Idempotent. A removed message that `keep` spares (the
 * erase's own acknowledgement, not sent yet) is handed back in `spared`: its key is read before
 * it is destroyed, and only a job actually removed (not taken by a sender meanwhile) counts.
 */
export async function purgeChatOutbound(
  ctx: OutboundPurgeDeps,
  chats: { channel: string; chatId: string }[],
  partitions: PartitionRule = defaultPartitions,
  keep?: (message: OutboundMessage) => boolean,
): Promise<OutboundPurge> {
  const result: OutboundPurge = { keysDestroyed: 0, jobsRemoved: 0, spared: [] };
  const byQueue = new Map<string, Set<string>>();
  const keys = new Map<string, Buffer>();
  for (const { channel, chatId } of chats) {
    const hash = chatHash(ctx, channel, chatId);
    const key = keep ? await openingKey(ctx, hash) : undefined;
    if (key) keys.set(hash, key);
    if (await destroySealingKey(ctx, channel, chatId)) result.keysDestroyed += 1;
    const name = outboundQueueName(channel, partitionOf(chatId, partitions(channel)));
    const hashes = byQueue.get(name) ?? new Set<string>();
    hashes.add(hash);
    byQueue.set(name, hashes);
  }
  const spared: (SparedMessage & { order: [number, number] })[] = [];
  for (const [name, hashes] of byQueue) {
    const queue = sharedConnectionQueue(new Queue<OutboundJobData>(name, queueOptions(ctx)));
    try {
      const jobs = await queue.getJobs([...RESTING], 0, LOOK_AT - 1);
      for (const job of jobs) {
        if (!job || !hashes.has(job.data?.chat)) continue;
        // A job taken by a worker meanwhile is locked and stays; it cannot be opened any more.
        const removed = await job.remove().then(
          () => true,
          () => false,
        );
        if (!removed) continue;
        result.jobsRemoved += 1;
        const kept = keep && sparedOf(job.data, keys.get(job.data.chat), keep);
        if (kept) spared.push({ ...kept, order: [job.data.enqueuedAt, job.data.part.index] });
      }
    } finally {
      await queue.close();
    }
  }
  spared.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]);
  result.spared = spared.map(({ order: _order, ...message }) => message);
  return result;
}

/** The job's message, if it opens with the chat's former key and `keep` spares it. */
function sparedOf(
  data: OutboundJobData,
  key: Buffer | undefined,
  keep: (message: OutboundMessage) => boolean,
): SparedMessage | undefined {
  if (!key || !data.sealed) return undefined;
  const content = sealedContentSchema.safeParse(unseal(key, data.sealed, sealContext(data)));
  if (!content.success || !keep(content.data.message)) return undefined;
  return {
    channel: data.channel,
    chatId: content.data.chatId,
    message: content.data.message,
    meta: data.meta,
  };
}
