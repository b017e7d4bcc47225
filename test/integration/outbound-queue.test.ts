import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChannelAdapter,
  type ChannelHealth,
  ChannelSendError,
  type OutboundMessage,
  type SendResult,
} from '../../src/channels/types.js';
import { graphError } from '../../src/channels/whatsapp-cloud/errors.js';
import type { DeadLetterNotice } from '../../src/outbound/dead-letter.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { outboundQueueName, partitionOf } from '../../src/outbound/queues.js';
import { createOutboundWorker, type OutboundWorkerOptions } from '../../src/outbound/worker.js';
import { queueOptions } from '../../src/queues/options.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

interface Delivery {
  chatId: string;
  text: string;
  at: number;
}

/**
 * A channel fake (not storage): records what would have reached the chat and fails on cue.
 * `failWith(chatId, text, attempt)` returns an error to throw for that attempt, or nothing.
 */
class RecordingAdapter implements ChannelAdapter {
  readonly delivered: Delivery[] = [];
  readonly attempts: Delivery[] = [];
  active = 0;
  maxActive = 0;
  private readonly tries = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly opts: {
      delayMs?: number;
      failWith?: (chatId: string, text: string, attempt: number) => ChannelSendError | undefined;
    } = {},
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  health(): ChannelHealth {
    return { ok: true, state: 'fake' };
  }

  async send(chatId: string, message: OutboundMessage): Promise<SendResult> {
    const text = message.kind === 'document' ? message.fileName : message.text;
    const key = `${chatId}\n${text}`;
    const attempt = (this.tries.get(key) ?? 0) + 1;
    this.tries.set(key, attempt);
    this.attempts.push({ chatId, text, at: Date.now() });
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.opts.delayMs) await sleep(this.opts.delayMs);
      const error = this.opts.failWith?.(chatId, text, attempt);
      if (error) throw error;
      this.delivered.push({ chatId, text, at: Date.now() });
      return { messageId: String(this.delivered.length) };
    } finally {
      this.active -= 1;
    }
  }

  textsFor(chatId: string): string[] {
    return this.delivered.filter((d) => d.chatId === chatId).map((d) => d.text);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (t: string): OutboundMessage => ({ kind: 'text', text: t });

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(10);
  }
}

type OutboundCounter = 'outboundSent' | 'outboundSendFailures' | 'outboundDeadLetters';

/** What this context's metrics counted for the label values given (the others summed). */
async function counted(metric: OutboundCounter, labels: Record<string, string>): Promise<number> {
  const counter = ctx.metrics?.[metric];
  if (!counter) throw new Error('the test context has no metrics');
  const { values } = await counter.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Chat ids that fall into distinct partitions (or the same one), so tests are not left to chance. */
function chatsInPartitions(count: number, partitions: number, samePartition = false): string[] {
  const chats: string[] = [];
  const used = new Set<number>();
  for (let i = 1000; chats.length < count; i++) {
    const id = String(i);
    const p = partitionOf(id, partitions);
    if (samePartition ? chats.length === 0 || used.has(p) : !used.has(p)) {
      used.add(p);
      chats.push(id);
    }
  }
  return chats;
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

async function startWorker(
  channel: string,
  adapter: ChannelAdapter | (() => ChannelAdapter | undefined),
  extra: Partial<OutboundWorkerOptions> = {},
) {
  const worker = createOutboundWorker(ctx, {
    channels: [channel],
    resolveAdapter: typeof adapter === 'function' ? adapter : () => adapter,
    backoffBaseMs: 30,
    backoffMaxMs: 200,
    ...extra,
  });
  await worker.start();
  stops.push(() => worker.stop());
  return worker;
}

describe('outbound queue', () => {
  it('keeps one chat in order while its messages fail and are retried', async () => {
    // Every message fails twice (UNAVAILABLE) or is rate-limited once before it goes.
    const adapter = new RecordingAdapter('fake-order', {
      failWith: (_chat, t, attempt) => {
        const n = Number(t.split(' ')[1]);
        if (n % 3 === 0 && attempt <= 2) return new ChannelSendError('UNAVAILABLE', 'HTTP 502');
        if (n % 4 === 1 && attempt === 1) return new ChannelSendError('RATE_LIMITED', 'slow down', 40);
        return undefined;
      },
    });
    const [chatA, chatB] = chatsInPartitions(2, 8, true);
    await startWorker('fake-order', adapter);
    const expected = Array.from({ length: 12 }, (_, i) => `msg ${i}`);
    // Interleaved calls of two chats sharing one partition, several messages per call.
    for (let i = 0; i < 12; i += 3) {
      await outbox.send('fake-order', chatA!, expected.slice(i, i + 3).map(text));
      await outbox.send('fake-order', chatB!, expected.slice(i, i + 3).map(text));
    }
    await waitFor(() => adapter.delivered.length === 24);
    expect(adapter.textsFor(chatA!)).toEqual(expected);
    expect(adapter.textsFor(chatB!)).toEqual(expected);
    // The retries really happened: 4 messages ×2 failures + 2 rate limits, per chat.
    expect(adapter.attempts.length).toBe(24 + 2 * (8 + 2));
  });

  it('keeps one chat in order with two sending processes on the same partitions', async () => {
    // Two workers, each with its own Redis connection: to BullMQ as two processes (ROLE=worker
    // replicas). Each send takes a while, one message is rate-limited and one fails once.
    const adapter = new RecordingAdapter('fake-two', {
      delayMs: 20,
      failWith: (_chat, t, attempt) => {
        if (t === 'msg 3' && attempt === 1) return new ChannelSendError('RATE_LIMITED', 'slow down', 60);
        if (t === 'msg 6' && attempt === 1) return new ChannelSendError('UNAVAILABLE', 'HTTP 502');
        return undefined;
      },
    });
    await startWorker('fake-two', adapter);
    await startWorker('fake-two', adapter);
    const expected = Array.from({ length: 10 }, (_, i) => `msg ${i}`);
    // Queued quickly, several per call, as a reply and its follow-ups are.
    for (let i = 0; i < expected.length; i += 2) {
      await outbox.send('fake-two', '5550002', expected.slice(i, i + 2).map(text));
    }
    await waitFor(() => adapter.delivered.length === expected.length);
    expect(adapter.textsFor('5550002')).toEqual(expected);
    // One send of the chat at a time: the next starts only once the previous one was accepted.
    expect(adapter.maxActive).toBe(1);
    expect(adapter.attempts.length).toBe(expected.length + 2);
  });

  it('sets the global concurrency again after Redis lost it (restarted empty, flushed)', async () => {
    const adapter = new RecordingAdapter('fake-flush');
    const worker = await startWorker('fake-flush', adapter, { concurrencyRefreshMs: 50 });
    const queues = worker.queueNames.map((name) => new Queue(name, queueOptions(ctx)));
    try {
      expect(await Promise.all(queues.map((q) => q.getGlobalConcurrency()))).toEqual(queues.map(() => 1));
      // What a flush leaves of each partition's meta: nothing.
      await ctx.redis.del(...worker.queueNames.map((name) => `${ctx.config.redisPrefix}:${name}:meta`));
      expect(await queues[0]?.getGlobalConcurrency()).toBeNull();
      await waitFor(async () =>
        (await Promise.all(queues.map((q) => q.getGlobalConcurrency()))).every((c) => c === 1),
      );
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });

  it('sends different chats in parallel', async () => {
    const adapter = new RecordingAdapter('fake-par', { delayMs: 150 });
    const chats = chatsInPartitions(8, 8);
    await startWorker('fake-par', adapter);
    const started = Date.now();
    await Promise.all(chats.map((c) => outbox.send('fake-par', c, [text('halo')])));
    await waitFor(() => adapter.delivered.length === 8);
    const elapsed = Date.now() - started;
    expect(adapter.maxActive).toBeGreaterThanOrEqual(6);
    // Serially this would take 8 × 150 ms.
    expect(elapsed).toBeLessThan(8 * 150);
  });

  it("waits the channel's retry-after before sending again", async () => {
    const retryAfterMs = 700;
    const adapter = new RecordingAdapter('fake-rl', {
      failWith: (_c, _t, attempt) =>
        attempt === 1 ? new ChannelSendError('RATE_LIMITED', 'Too Many Requests', retryAfterMs) : undefined,
    });
    await startWorker('fake-rl', adapter);
    await outbox.send('fake-rl', '5550001', [text('first'), text('second')]);
    await waitFor(() => adapter.delivered.length === 2);
    const [firstTry, secondTry] = adapter.attempts;
    const waited = secondTry!.at - firstTry!.at;
    console.warn(`[measure] RATE_LIMITED retry_after=${retryAfterMs} ms → waited ${waited} ms`);
    expect(waited).toBeGreaterThanOrEqual(retryAfterMs);
    // Not much more either (the margin allows for a loaded test machine).
    expect(waited).toBeLessThan(retryAfterMs + 1000);
    expect(adapter.textsFor('5550001')).toEqual(['first', 'second']);
  });

  it('dead-letters after the last attempt, records no text or chat id, and moves on', async () => {
    const notices: DeadLetterNotice[] = [];
    const chatId = '6281287611943@c.us';
    const adapter = new RecordingAdapter('fake-dl', {
      failWith: (_c, t) =>
        t.startsWith('Kode')
          ? new ChannelSendError('UNAVAILABLE', 'socket hang up 6281287611943')
          : undefined,
    });
    await startWorker('fake-dl', adapter, { maxFailures: 3, onDeadLetter: (n) => void notices.push(n) });
    await outbox.send('fake-dl', chatId, [text('Kode verifikasi: 123456'), text('after')], {
      purpose: 'otp',
      requestRef: 'PR-DL0001',
    });
    await waitFor(() => notices.length === 1 && adapter.delivered.length === 1);
    expect(adapter.textsFor(chatId)).toEqual(['after']);

    const letters = await ctx.models.DeadLetter.find({ channel: 'fake-dl' }).lean();
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter).toMatchObject({
      reason: 'UNAVAILABLE',
      attempts: 3,
      purpose: 'otp',
      requestRef: 'PR-DL0001',
      messageKind: 'text',
      maskedChat: '+62812****943@c.us',
      status: 'open',
    });
    const stored = JSON.stringify(letter);
    expect(stored).not.toContain('6281287611943');
    expect(stored).not.toContain('123456');
    expect(notices[0]).toMatchObject({ reason: 'UNAVAILABLE', attempts: 3, requestRef: 'PR-DL0001' });
    // The failed job stays visible on the queue dashboard, with a reason staff can read.
    const queue = new Queue(outboundQueueName('fake-dl', partitionOf(chatId, 8)), queueOptions(ctx));
    const failed = await queue.getFailed();
    await queue.close();
    expect(failed.map((j) => j.failedReason)).toEqual(['dead-lettered: UNAVAILABLE']);
    expect(ctx.logLines.join('\n')).not.toContain('6281287611943');
    // Counted by channel and purpose (issue 16): three failed sends, one dead letter, one sent.
    const otp = { channel: 'fake-dl', purpose: 'otp' };
    await waitFor(async () => (await counted('outboundSent', otp)) === 1);
    expect(await counted('outboundSendFailures', { ...otp, code: 'UNAVAILABLE' })).toBe(3);
    expect(await counted('outboundDeadLetters', { ...otp, reason: 'UNAVAILABLE' })).toBe(1);
  });

  it('dead-letters a blocked chat at once', async () => {
    const adapter = new RecordingAdapter('fake-blk', {
      failWith: () => new ChannelSendError('CHAT_BLOCKED', 'Forbidden: bot was blocked by the user'),
    });
    await startWorker('fake-blk', adapter);
    await outbox.send('fake-blk', '777000111', [text('promo')], { purpose: 'promo' });
    await waitFor(async () => (await ctx.models.DeadLetter.countDocuments({ channel: 'fake-blk' })) === 1);
    const letter = await ctx.models.DeadLetter.findOne({ channel: 'fake-blk' }).lean().orFail();
    expect(letter).toMatchObject({ reason: 'CHAT_BLOCKED', attempts: 1, maskedChat: '77****11' });
    expect(adapter.attempts).toHaveLength(1);
    const promo = { channel: 'fake-blk', purpose: 'promo' };
    await waitFor(
      async () => (await counted('outboundDeadLetters', { ...promo, reason: 'CHAT_BLOCKED' })) === 1,
    );
    expect(await counted('outboundSendFailures', { ...promo, code: 'CHAT_BLOCKED' })).toBe(1);
    expect(await counted('outboundSent', promo)).toBe(0);
  });

  it("keeps the platform's error code whole beside the masked detail, and never a number as a code", async () => {
    // As the WhatsApp Cloud adapter raises it for a refused send (errors.ts).
    const adapter = new RecordingAdapter('fake-code', {
      failWith: (_c, t) =>
        t === 'late'
          ? graphError(131047, 400, 'Re-engagement message')
          : new ChannelSendError('BAD_REQUEST', 'refused', undefined, '6281287611943'),
    });
    await startWorker('fake-code', adapter);
    await outbox.send('fake-code', '6281299990001', [text('late')], {
      purpose: 'reply',
      requestRef: 'PR-CODE01',
    });
    await outbox.send('fake-code', '6281299990002', [text('odd')], {
      purpose: 'reply',
      requestRef: 'PR-CODE02',
    });
    await waitFor(async () => (await ctx.models.DeadLetter.countDocuments({ channel: 'fake-code' })) === 2);
    const late = await ctx.models.DeadLetter.findOne({ requestRef: 'PR-CODE01' }).lean().orFail();
    expect(late).toMatchObject({ reason: 'WINDOW_CLOSED', platformCode: '131047' });
    // The free text masks every digit run, the code included: the field is what staff read.
    expect(late.detail).toBe('Re-engagement message (Graph API code [number])');
    const odd = await ctx.models.DeadLetter.findOne({ requestRef: 'PR-CODE02' }).lean().orFail();
    expect(odd.platformCode ?? undefined).toBeUndefined();
    expect(JSON.stringify(odd)).not.toContain('6281287611943');
  });

  it('sends a message with a dedupe key once, however often it is queued', async () => {
    const adapter = new RecordingAdapter('fake-dd');
    await startWorker('fake-dd', adapter);
    const meta = { dedupeKey: 'request:PR-ABC123:completed', purpose: 'notification' as const };
    const messages = [text('Permintaan PR-ABC123 selesai.'), text('Terima kasih.')];
    await Promise.all([
      outbox.send('fake-dd', '4242', messages, meta),
      outbox.send('fake-dd', '4242', messages, meta),
    ]);
    await waitFor(() => adapter.delivered.length >= 2);
    // A producer retrying after the first copy was sent.
    await outbox.send('fake-dd', '4242', messages, meta);
    await outbox.send('fake-dd', '4242', [text('no key')]);
    await waitFor(() => adapter.delivered.length >= 3);
    await sleep(200);
    expect(adapter.textsFor('4242')).toEqual(['Permintaan PR-ABC123 selesai.', 'Terima kasih.', 'no key']);
  });

  it('holds messages while no adapter can send, then delivers them in order', async () => {
    const adapter = new RecordingAdapter('fake-na');
    let available = false;
    await startWorker('fake-na', () => (available ? adapter : undefined), { maxFailures: 20 });
    await outbox.send('fake-na', '9090', [text('one'), text('two'), text('three')]);
    await sleep(300);
    expect(adapter.attempts).toHaveLength(0);
    available = true;
    await waitFor(() => adapter.delivered.length === 3);
    expect(adapter.textsFor('9090')).toEqual(['one', 'two', 'three']);
    expect(await ctx.models.DeadLetter.countDocuments({ channel: 'fake-na' })).toBe(0);
  });

  it('refuses a malformed message at the producer', async () => {
    await expect(
      outbox.send('fake-bad', '1', [{ kind: 'buttons', text: 'x', buttons: [] } as OutboundMessage]),
    ).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await expect(outbox.send('Bad Channel', '1', [text('x')])).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
  });
});
