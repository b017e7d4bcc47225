import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChannelAdapter,
  type ChannelHealth,
  ChannelSendError,
  type OutboundMessage,
  type SendResult,
} from '../../src/channels/types.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { purgeChatOutbound } from '../../src/outbound/purge.js';
import { type OutboundJobData, outboundQueueName, partitionOf } from '../../src/outbound/queues.js';
import { destroySealingKey, seal, unseal } from '../../src/outbound/seal.js';
import { createOutboundWorker } from '../../src/outbound/worker.js';
import { queueOptions } from '../../src/queues/options.js';
import { dashboardJobData } from '../../src/staff/console/routes/queues.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * Queued messages rest sealed: nothing personal in a job hash, a dead-lettered job keeps its
 * masked chat and reason only, the dashboard shows an allowlist, and destroying a chat's key
 * (erasure) makes its queued messages unreadable and unsent.
 */

const PHONE_CHAT = '6281287611943@c.us';
const SECRET_TEXT = 'Data baru: siti.baru@contoh.co.id';
const DOCUMENT_BYTES = Buffer.from('{"name":"Siti Wulandari","address":"Jl. Melati 7"}');
const PERSONAL = ['6281287611943', 'siti.baru@contoh.co.id', 'Siti Wulandari', 'Jl. Melati 7'];

/** A channel fake (not storage): delivers, or refuses as a blocked chat does. */
class Recording implements ChannelAdapter {
  readonly delivered: { chatId: string; message: OutboundMessage }[] = [];
  blocked = false;
  constructor(readonly name: string) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  health(): ChannelHealth {
    return { ok: true, state: 'fake' };
  }
  async send(chatId: string, message: OutboundMessage): Promise<SendResult> {
    if (this.blocked) throw new ChannelSendError('CHAT_BLOCKED', 'Forbidden: bot was blocked by the user');
    this.delivered.push({ chatId, message });
    return { messageId: String(this.delivered.length) };
  }
}

let ctx: TestContext;
let outbox: OutboxHandle;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  outbox = createOutbox(ctx);
});
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});
afterAll(async () => {
  await outbox.close();
  await ctx.cleanup();
});

async function startWorker(channel: string, adapter: ChannelAdapter) {
  const worker = createOutboundWorker(ctx, { channels: [channel], resolveAdapter: () => adapter });
  await worker.start();
  stops.push(() => worker.stop());
}

function queueOf(channel: string, chatId: string): Queue<OutboundJobData> {
  const queue = new Queue<OutboundJobData>(
    outboundQueueName(channel, partitionOf(chatId, 8)),
    queueOptions(ctx),
  );
  stops.push(() => queue.close());
  return queue;
}

/** Every field of every job hash of a queue, base64 runs decoded too. */
async function rawJobText(queue: Queue): Promise<string> {
  const keys = await ctx.redis.keys(`${ctx.config.redisPrefix}:${queue.name}:*`);
  const parts: string[] = [];
  for (const key of keys) {
    if ((await ctx.redis.type(key)) !== 'hash') continue;
    for (const value of Object.values(await ctx.redis.hgetall(key))) {
      parts.push(value);
      for (const run of value.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? [])
        parts.push(Buffer.from(run, 'base64').toString('latin1'));
    }
  }
  return parts.join('\n');
}

const documentMessage: OutboundMessage = {
  kind: 'document',
  fileName: 'data-saya.json',
  mimeType: 'application/json',
  contentBase64: DOCUMENT_BYTES.toString('base64'),
};

describe('sealed outbound jobs', () => {
  it('seal and unseal round-trip only under the same key and context', () => {
    const key = Buffer.alloc(32, 7);
    const sealed = seal(key, { a: 1 }, 'ctx-a');
    expect(unseal(key, sealed, 'ctx-a')).toEqual({ a: 1 });
    expect(unseal(key, sealed, 'ctx-b')).toBeUndefined();
    expect(unseal(Buffer.alloc(32, 8), sealed, 'ctx-a')).toBeUndefined();
    expect(unseal(key, 'AAAA', 'ctx-a')).toBeUndefined();
  });

  it('a waiting job holds no chat id, text or document bytes, and is delivered intact', async () => {
    const queue = queueOf('seal-wait', PHONE_CHAT);
    await outbox.send('seal-wait', PHONE_CHAT, [{ kind: 'text', text: SECRET_TEXT }, documentMessage], {
      purpose: 'notification',
      requestRef: 'PR-SEAL01',
      dedupeKey: `reply:seal-wait:false_${PHONE_CHAT}_IN1`,
    });
    const raw = await rawJobText(queue);
    expect(raw).toContain('PR-SEAL01');
    expect(raw).toContain('+62812****943@c.us');
    for (const value of PERSONAL) expect(raw).not.toContain(value);

    const adapter = new Recording('seal-wait');
    await startWorker('seal-wait', adapter);
    await pollUntil('both messages delivered', async () => adapter.delivered.length === 2, {
      timeoutMs: 10_000,
    });
    expect(adapter.delivered[0]).toEqual({
      chatId: PHONE_CHAT,
      message: { kind: 'text', text: SECRET_TEXT },
    });
    expect(adapter.delivered[1]?.message).toEqual(documentMessage);
    // Sent jobs are gone from Redis.
    await pollUntil(
      'completed jobs removed',
      async () => (await queue.getJobCounts('completed')).completed === 0,
      {
        timeoutMs: 5_000,
      },
    );
  });

  it('a dead-lettered job is redacted to masked chat and reason, and the dashboard shows only that', async () => {
    const chat = '7001234567';
    const queue = queueOf('seal-dl', chat);
    const adapter = new Recording('seal-dl');
    adapter.blocked = true;
    await startWorker('seal-dl', adapter);
    await outbox.send('seal-dl', chat, [documentMessage], {
      purpose: 'notification',
      requestRef: 'PR-SEAL02',
    });
    const [failed] = await pollUntil(
      'the job failed',
      async () => {
        const jobs = await queue.getFailed();
        return jobs.length === 1 && jobs[0]?.data.redacted ? jobs : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(failed?.failedReason).toBe('dead-lettered: CHAT_BLOCKED');
    expect(failed?.data.sealed).toBeUndefined();
    expect(failed?.data).toMatchObject({
      maskedChat: '70****67',
      kind: 'document',
      redacted: 'CHAT_BLOCKED',
    });
    const raw = await rawJobText(queue);
    expect(raw).not.toContain(chat);
    expect(raw).not.toContain('Siti Wulandari');
    expect(await ctx.models.DeadLetter.countDocuments({ channel: 'seal-dl', reason: 'CHAT_BLOCKED' })).toBe(
      1,
    );

    const shown = dashboardJobData(queue.name, failed?.data);
    expect(shown).toEqual({
      channel: 'seal-dl',
      maskedChat: '70****67',
      kind: 'document',
      part: { index: 0, total: 1 },
      enqueuedAt: failed?.data.enqueuedAt,
      redacted: 'CHAT_BLOCKED',
      meta: { purpose: 'notification', requestRef: 'PR-SEAL02' },
    });
    // Even a job that still held a sealed message would show no more than the allowlist.
    expect(dashboardJobData(queue.name, { ...failed?.data, sealed: 'xyz', chatId: chat })).not.toHaveProperty(
      'sealed',
    );
    expect(dashboardJobData('requests', { ref: 'PR-1', id: 'abc', phone: '+62' })).toEqual({
      ref: 'PR-1',
      id: 'abc',
    });
  });

  it('after the chat key is destroyed, queued messages are dropped unread and the next ones go', async () => {
    const chat = '7009990001';
    const queue = queueOf('seal-erase', chat);
    await outbox.send('seal-erase', chat, [{ kind: 'text', text: 'before erase' }]);
    expect(await destroySealingKey(ctx, 'seal-erase', chat)).toBe(true);
    // Produced after the erase: a fresh key.
    await outbox.send('seal-erase', chat, [{ kind: 'text', text: 'after erase' }]);
    const adapter = new Recording('seal-erase');
    await startWorker('seal-erase', adapter);
    await pollUntil(
      'the queue drained',
      async () => {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        return Object.values(counts).every((n) => n === 0) && adapter.delivered.length === 1;
      },
      { timeoutMs: 10_000 },
    );
    expect(adapter.delivered.map((d) => d.message)).toEqual([{ kind: 'text', text: 'after erase' }]);
    expect(ctx.logLines.join('\n')).toContain('outbound message dropped unread: its chat key is gone');
  });

  it('purging a chat removes its waiting and failed jobs, leaving other chats alone', async () => {
    const [mine, other] = ['7005550001', '7005550002'];
    const mineQueue = queueOf('seal-purge', mine);
    const otherQueue = queueOf('seal-purge', other);
    await outbox.send('seal-purge', mine, [
      { kind: 'text', text: 'one' },
      { kind: 'text', text: 'two' },
    ]);
    await outbox.send('seal-purge', other, [{ kind: 'text', text: 'three' }]);
    const result = await purgeChatOutbound(ctx, [{ channel: 'seal-purge', chatId: mine }]);
    expect(result).toEqual({ keysDestroyed: 1, jobsRemoved: 2, spared: [] });
    expect((await mineQueue.getWaiting()).filter((j) => j.data.maskedChat === '70****01')).toHaveLength(0);
    expect((await otherQueue.getWaiting()).filter((j) => j.data.maskedChat === '70****02')).toHaveLength(1);
    // Idempotent.
    expect(await purgeChatOutbound(ctx, [{ channel: 'seal-purge', chatId: mine }])).toEqual({
      keysDestroyed: 0,
      jobsRemoved: 0,
      spared: [],
    });
  });

  it('a job queued before sealing existed is still sent after the upgrade, and redacted if it fails', async () => {
    const chat = '7003334445';
    const queue = queueOf('seal-old', chat);
    const legacy = (text: string) => ({
      channel: 'seal-old',
      chatId: chat,
      message: { kind: 'text', text },
      meta: { purpose: 'reply', dedupeKey: `reply:seal-old:${chat}:1` },
      part: { index: 0, total: 1 },
      enqueuedAt: Date.now(),
    });
    await queue.add('reply', legacy('from the old version') as unknown as OutboundJobData);
    const adapter = new Recording('seal-old');
    await startWorker('seal-old', adapter);
    await pollUntil('the old job delivered', async () => adapter.delivered.length === 1, {
      timeoutMs: 10_000,
    });
    expect(adapter.delivered[0]).toEqual({
      chatId: chat,
      message: { kind: 'text', text: 'from the old version' },
    });

    adapter.blocked = true;
    await queue.add('reply', legacy('refused') as unknown as OutboundJobData);
    const [failed] = await pollUntil(
      'the old job failed and was redacted',
      async () => {
        const jobs = await queue.getFailed();
        return jobs.length === 1 && jobs[0]?.data.redacted ? jobs : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(JSON.stringify(failed?.data)).not.toContain(chat);
    expect(JSON.stringify(failed?.data)).not.toContain('refused');
  });

  it('a job added by hand (dashboard) with foreign data is dropped, and the partition keeps sending', async () => {
    const chat = '7001112223';
    const queue = queueOf('seal-hand', chat);
    await queue.add('message', {
      chatId: chat,
      message: { kind: 'text', text: 'raw' },
    } as unknown as OutboundJobData);
    await outbox.send('seal-hand', chat, [{ kind: 'text', text: 'real' }]);
    const adapter = new Recording('seal-hand');
    await startWorker('seal-hand', adapter);
    await pollUntil('the real message delivered', async () => adapter.delivered.length === 1, {
      timeoutMs: 10_000,
    });
    expect(adapter.delivered[0]?.message).toEqual({ kind: 'text', text: 'real' });
    expect(ctx.logLines.join('\n')).toContain('outbound job dropped: not a message of ours');
  });
});
