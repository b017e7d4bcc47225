import { Queue } from 'bullmq';
import { createOutbox } from '../src/outbound/outbox.js';
import { outboundQueueName, partitionOf } from '../src/outbound/queues.js';
import { queueOptions } from '../src/queues/options.js';
import { benchContext, log } from './context.js';
import { latencies, round } from './harness.js';
import { driveChats } from './inbound.js';
import type { Benchmark } from './run.js';

const CHATS = Number(process.env.BENCH_CHATS ?? 64);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TEXT = 'Data baru: nama.baru@contoh.co.id. Kirim permintaan perubahan ini?';

/**
 * Queueing a reply through the outbox (validated, sealed under the chat's key: one extra Redis
 * script call and AES-256-GCM), many chats at once. Baseline: BullMQ `Queue.add` of the same
 * message unsealed into the same partition queues, as many in flight: what sealing costs on top.
 */
const outbox: Benchmark = async (env) => {
  const ctx = await benchContext(env, 'outbox');
  const box = createOutbox(ctx);
  const queues = new Map<string, Queue>();
  try {
    const chats = Array.from({ length: CHATS }, (_, i) => String(700_000 + i));
    await driveChats(chats, CHATS * 5, (chatId) =>
      box.send('benchchan', chatId, [{ kind: 'text', text: TEXT }]),
    );
    const sealed = await driveChats(
      chats,
      MESSAGES,
      (chatId) => box.send('benchchan', chatId, [{ kind: 'text', text: TEXT }]),
      SECONDS,
    );
    const plain = await driveChats(
      chats,
      MESSAGES,
      async (chatId) => {
        const name = outboundQueueName('benchplain', partitionOf(chatId, 8));
        let queue = queues.get(name);
        if (!queue) {
          queue = new Queue(name, { ...queueOptions(ctx), defaultJobOptions: { removeOnComplete: true } });
          queues.set(name, queue);
        }
        await queue.add('reply', { channel: 'benchplain', chatId, message: { kind: 'text', text: TEXT } });
      },
      SECONDS,
    );
    log(`${sealed.count} sealed sends over ${CHATS} chats; baseline ${plain.count} plain Queue.add`);
    return {
      outbox_sealed_send: {
        value: round(sealed.perSecond),
        unit: 'msg/s',
        baseline: round(plain.perSecond),
        ratio: round(sealed.perSecond / plain.perSecond, 3),
        ...latencies(sealed.samplesMs),
      },
    };
  } finally {
    await box.close();
    await Promise.allSettled([...queues.values()].map((q) => q.close()));
    await ctx.cleanup();
  }
};
export default outbox;
