import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkChat } from '../../src/identity/links.js';
import { parsePromo, sendPromo } from '../../src/promo/index.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * The real `hakdata promo send` in a child process, SIGKILLed halfway through; then the same
 * promo resumed. Counted at the fake Bot API: nobody gets it twice, everyone left gets it once.
 */

const N = 1000;
const hasConsent = (i: number) => i % 4 !== 3;
const CHAT_BASE = 800_000;
const chatOf = (i: number) => String(CHAT_BASE + i);
const TEXT = { id: 'Promo dua: gratis cek saluran!', en: 'Promo two: free drain check!' };

let fake: FakeTelegramBotApi;
let ctx: TestContext;
let ids: Types.ObjectId[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Linked chats are customers who verified there, so each wrote to the bot before.
  fake = await FakeTelegramBotApi.start({ knownChats: (chatId) => Number(chatId) > 0 });
  ctx = await createTestContext({ LOG_LEVEL: 'info', WEBCHAT_ENABLED: 'false', ...fake.env });
  const now = new Date();
  const docs = await ctx.models.Customer.insertMany(
    Array.from({ length: N }, (_, i) => ({
      customerNo: `C-${String(i).padStart(6, '0')}`,
      phone: `+62816${String(10_000_000 + i)}`,
      area: 'Depok',
      marketingConsent: { granted: hasConsent(i), updatedAt: now, source: 'test' },
      createdAt: now,
      updatedAt: now,
    })),
  );
  ids = docs.map((d) => d._id);
  for (let i = 0; i < N; i += 250)
    await Promise.all(
      ids.slice(i, i + 250).map((id, j) => linkChat(ctx, 'telegram', chatOf(i + j), String(id))),
    );
}, 60_000);

afterAll(async () => {
  for (const child of children) killGroup(child);
  await ctx.cleanup();
  await fake.close();
});

/** `npx tsx` runs the CLI in a grandchild: signal the whole process group. */
function killGroup(child: ChildProcess) {
  if (child.pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function promoCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of fake.calls) {
    if (call.method !== 'sendMessage' || call.status !== 200) continue;
    if (typeof call.params.text !== 'string' || !call.params.text.startsWith(TEXT.id)) continue;
    const chat = String(call.params.chat_id);
    counts.set(chat, (counts.get(chat) ?? 0) + 1);
  }
  return counts;
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('promo crash and resume', () => {
  it('a sender killed halfway, then resumed, sends each remaining customer exactly once', async () => {
    const eligible = Array.from({ length: N }, (_, i) => i).filter(hasConsent);
    const dir = mkdtempSync(join(tmpdir(), 'promo-'));
    const file = join(dir, 'promo.yaml');
    writeFileSync(
      file,
      ['id: crash-two', 'message:', `  id: "${TEXT.id}"`, `  en: "${TEXT.en}"`, 'channels: [telegram]'].join(
        '\n',
      ),
    );
    const child = spawn(
      'npx',
      ['tsx', 'src/cli.ts', 'promo', 'send', '--file', file, '--rate', 'telegram=100'],
      {
        cwd: process.cwd(),
        env: { ...process.env, ...ctx.env, LOG_LEVEL: 'warn' },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let output = '';
    child.stdout?.on('data', (d) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d) => {
      output += d.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await until('half of the promo sent', () => promoCounts().size >= eligible.length / 2, 120_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the command said: ${output.slice(-1500)}`);
    }
    killGroup(child);
    await exited;
    // A write the sender had already handed to the database may still be applied: let it settle.
    const snapshot = async () => {
      const promo = await ctx.models.Promo.findOne({ promoId: 'crash-two' }, { inFlight: 1 }).lean();
      const rows = await ctx.models.PromoDelivery.find(
        { promoId: 'crash-two' },
        { customerId: 1, state: 1, batch: 1 },
      ).lean();
      return { batches: new Set(promo?.inFlight ?? []), rows };
    };
    let last = '';
    for (let same = 0; same < 3; ) {
      await new Promise((r) => setTimeout(r, 300));
      const { batches, rows } = await snapshot();
      const n = `${rows.length}/${[...batches].sort().join(',')}`;
      same = n === last ? same + 1 : 0;
      last = n;
    }

    const atCrash = promoCounts();
    const { batches, rows } = await snapshot();
    const decided = new Map(rows.map((d) => [String(d.customerId), d.state]));
    // In flight at the kill: the claims of a batch the promo still lists as in flight (written as
    // `sent` before the send, maybe not sent).
    const inFlight = rows.filter((d) => d.state === 'sent' && batches.has(d.batch ?? '')).length;
    const remaining = eligible.filter((i) => !decided.has(String(ids[i])));
    expect(remaining.length).toBeGreaterThan(0);
    // Claimed before sent: nobody without a delivery record has the message.
    expect(remaining.filter((i) => atCrash.has(chatOf(i)))).toEqual([]);
    const promoAtCrash = await ctx.models.Promo.findOne({ promoId: 'crash-two' }).lean();
    expect(promoAtCrash?.status).toBe('running');
    expect(promoAtCrash?.progress.sent).toBeGreaterThan(0);

    // Resume here: the dead sender's lease is taken over (same machine, process gone).
    const report = await sendPromo(
      ctx,
      parsePromo({ id: 'crash-two', message: TEXT, channels: ['telegram'] }),
      {
        resume: true,
        rates: { telegram: 1000 },
      },
    );
    expect(report.status).toBe('completed');
    expect(report.recovered).toBe(inFlight);

    const counts = promoCounts();
    const deliveries = new Map(
      (await ctx.models.PromoDelivery.find({ promoId: 'crash-two' }).lean()).map((d) => [
        String(d.customerId),
        d,
      ]),
    );
    const problems: string[] = [];
    for (let i = 0; i < N; i++) {
      const got = counts.get(chatOf(i)) ?? 0;
      const d = deliveries.get(String(ids[i]));
      if (got > 1) problems.push(`customer ${i} got ${got}`);
      if (!hasConsent(i)) {
        if (got !== 0) problems.push(`customer ${i} has no consent and got ${got}`);
        continue;
      }
      if (!d) problems.push(`customer ${i} was never decided`);
      else if (d.state === 'sent' && got !== 1) problems.push(`customer ${i} recorded sent, got ${got}`);
      else if (d.state === 'failed' && d.error?.code !== 'INTERRUPTED')
        problems.push(`customer ${i} failed ${d.error?.code}`);
      else if (d.state !== 'sent' && d.state !== 'failed') problems.push(`customer ${i} is ${d.state}`);
    }
    for (const i of remaining)
      if ((counts.get(chatOf(i)) ?? 0) !== 1) problems.push(`remaining customer ${i} not sent exactly once`);
    expect(problems).toEqual([]);
    // Only messages in flight at the kill are uncertain, and they are never sent again.
    expect(report.failed).toEqual(inFlight ? { INTERRUPTED: inFlight } : {});
    expect(report.sent + inFlight).toBe(eligible.length);
    const promo = await ctx.models.Promo.findOne({ promoId: 'crash-two' }).lean();
    expect(promo?.runs.map((r) => r.outcome ?? null)).toEqual([null, 'completed']);
    console.warn(
      `[measure] crash after ${atCrash.size} of ${eligible.length} sent (${inFlight} in flight → INTERRUPTED); ` +
        `resume: ${report.sentThisRun} sent in ${(report.elapsedMs / 1000).toFixed(1)} s = ${report.perSecond} msg/s (limit 1000/s)`,
    );
  }, 180_000);
});
