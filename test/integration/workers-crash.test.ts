import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivacyRequest } from '../../src/db/index.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService } from '../../src/requests/service.js';
import { recordingOutbox, seedCustomer } from '../fixtures/requests-kit.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
let queue: RequestQueue;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  queue = createRequestQueue(ctx);
});
afterAll(async () => {
  for (const child of children) killGroup(child, 'SIGKILL');
  await queue.close();
  await ctx.cleanup();
});

/** `npx tsx` runs the script in a grandchild: signal the whole process group we created. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

function startWorker(extraEnv: Record<string, string> = {}) {
  const child = spawn('npx', ['tsx', 'test/fixtures/request-worker-child.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, ...ctx.env, ...extraEnv },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d) => {
    err += d.toString();
  });
  const waitForLine = (prefix: string, ms = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${prefix}" from worker; stderr: ${err.slice(-2000)}`)),
        ms,
      );
      const look = () => {
        const line = out.split('\n').find((l) => l.startsWith(prefix));
        if (line) {
          clearTimeout(timer);
          resolve(line);
        } else setTimeout(look, 25);
      };
      look();
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, waitForLine, exited };
}

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a worker killed mid-job', () => {
  it('is SIGKILLed half way through an erasure; a restarted worker completes it exactly once', async () => {
    const c = await seedCustomer(ctx, { orders: 50 });
    const service = createRequestService(ctx, { outbox: recordingOutbox(), queue });
    const { ref } = await service.create({
      type: 'erase',
      customerId: String(c._id),
      channel: 'telegram',
      chatId: 'crash-1',
      locale: 'id',
    });

    const first = startWorker({ PAUSE_AT_STEP: 'erase:orders' });
    expect(await first.waitForLine('PAUSED')).toBe(`PAUSED ${ref} erase:orders`);
    // Half done: orders reduced, customer untouched, nobody told.
    expect((await ctx.models.PrivacyRequest.findOne({ ref }).lean())?.status).toBe('processing');
    expect(
      await ctx.models.ServiceOrder.countDocuments({ customerId: c._id, anonymizedAt: { $exists: true } }),
    ).toBe(50);
    expect((await ctx.models.Customer.findById(c._id).lean())?.phone).toBe(c.phone);
    killGroup(first.child, 'SIGKILL');
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');

    const second = startWorker();
    await second.waitForLine('READY');
    // Completed and its audit events in: they are inserted after the close, and `second.exited`
    // is npx's exit, which can come before its grandchild's graceful stop has finished.
    const done = await waitFor('request completed with its audit events written', async () => {
      const r = await ctx.models.PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>();
      return r?.status === 'completed' && !r.auditPending ? r : undefined;
    });
    killGroup(second.child, 'SIGTERM');
    await second.exited;

    expect(done.history.map((h) => `${h.from}>${h.to}`)).toEqual([
      'null>queued',
      'queued>processing',
      'processing>completed',
    ]);
    expect(done.attempts).toBe(2);
    expect(done.result).toEqual({ ordersAnonymized: 50, ordersKept: 0 });
    const customer = await ctx.models.Customer.findById(c._id).lean();
    expect(customer?.erasedAt).toBeInstanceOf(Date);
    expect(customer?.phone).toBeUndefined();
    expect(customer?.name).toBeUndefined();
    expect(await ctx.models.Suppression.countDocuments({ source: `request:${ref}` })).toBe(1);

    const actions = (await ctx.models.AuditEvent.find({ requestRef: ref }).lean())
      .map((a) => a.action)
      .sort();
    expect(actions).toEqual(['customer.erased', 'request.created', 'request.status', 'request.status']);
    const sent = (await ctx.redis.lrange(ctx.key('test-outbox'), 0, -1)).map(
      (s) => JSON.parse(s) as { ref: string; chatId: string },
    );
    expect(sent).toEqual([{ channel: 'telegram', chatId: 'crash-1', ref, kinds: ['text'] }]);
  }, 150_000);
});
