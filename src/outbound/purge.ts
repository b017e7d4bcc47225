import { Queue } from 'bullmq';
import type { AppContext } from '../app/context.js';
import { queueOptions } from '../queues/options.js';
import { chatHash } from './dead-letter.js';
import {
  defaultPartitions,
  type OutboundJobData,
  outboundQueueName,
  type PartitionRule,
  partitionOf,
} from './queues.js';
import { destroySealingKey } from './seal.js';

/** Job states a message can rest in before or after its send (active ones are mid-send: left alone). */
const RESTING = ['waiting', 'delayed', 'prioritized', 'paused', 'failed', 'waiting-children'] as const;
/** How many jobs per state are looked at: the rest are unreadable anyway once the key is gone. */
const LOOK_AT = 2000;

export interface OutboundPurge {
  keysDestroyed: number;
  jobsRemoved: number;
}

/**
 * Erasure of a chat's outbound messages: its sealing key first (every queued copy becomes
 * unreadable at once, found or not), then the jobs of its partition that belong to it are
 * removed, failed (redacted) ones included. Idempotent.
 */
export async function purgeChatOutbound(
  ctx: AppContext,
  chats: { channel: string; chatId: string }[],
  partitions: PartitionRule = defaultPartitions,
): Promise<OutboundPurge> {
  const result: OutboundPurge = { keysDestroyed: 0, jobsRemoved: 0 };
  const byQueue = new Map<string, Set<string>>();
  for (const { channel, chatId } of chats) {
    if (await destroySealingKey(ctx, channel, chatId)) result.keysDestroyed += 1;
    const name = outboundQueueName(channel, partitionOf(chatId, partitions(channel)));
    const hashes = byQueue.get(name) ?? new Set<string>();
    hashes.add(chatHash(ctx, channel, chatId));
    byQueue.set(name, hashes);
  }
  for (const [name, hashes] of byQueue) {
    const queue = new Queue<OutboundJobData>(name, queueOptions(ctx));
    try {
      const jobs = await queue.getJobs([...RESTING], 0, LOOK_AT - 1);
      for (const job of jobs) {
        if (!job || !hashes.has(job.data?.chat)) continue;
        // A job taken by a worker meanwhile is locked and stays; it cannot be opened any more.
        const removed = await job.remove().then(
          () => true,
          () => false,
        );
        if (removed) result.jobsRemoved += 1;
      }
    } finally {
      await queue.close();
    }
  }
  return result;
}
