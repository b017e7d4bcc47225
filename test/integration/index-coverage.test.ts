import { randomBytes } from 'node:crypto';
import type { Model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { InboundMessage, OutboundMessage } from '../../src/channels/types.js';
import { ConversationEngine, flowCatalog } from '../../src/conversation/engine.js';
import { loadFlows } from '../../src/conversation/flow-loader.js';
import { FLOWS_DIR } from '../../src/conversation/runtime.js';
import { createOtpService } from '../../src/identity/otp.js';
import { createConsoleOtpProvider, readDevOtpOutbox } from '../../src/identity/otp-providers/index.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { checkBatch, checkRecipient } from '../../src/promo/eligibility.js';
import { OptOutWatch } from '../../src/promo/opt-out-watch.js';
import { latestPromoOfChat, promoOfReply } from '../../src/promo/replies.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService, type RequestServiceImpl } from '../../src/requests/service.js';
import { seedDemo } from '../../src/seed/seed.js';
import { buildAccessPackage } from '../../src/workers/access/package.js';
import { reconcileRequests } from '../../src/workers/reconciler.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { runSlaCheck } from '../../src/workers/sla.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { declaredIndexes, type RecordedQuery, recordQueries, servedByIndex } from '../helpers/query-log.js';

/**
 * Production runs MongoDB 7, where a filter no index serves reads the whole collection. No
 * `mongod` runs here, so the driver's command monitoring records every filter the conversation
 * engine, the request service and the workers send over a journey through the four rights (and
 * a staff decision, the reconciler, the SLA check, a promo's send-time check), and each must be
 * served by an index the models declare (src/db/models/).
 */
let ctx: TestContext;
let queue: RequestQueue;
let service: RequestServiceImpl;
let outbox: ReturnType<typeof createOutbox>;
let queries: RecordedQuery[] = [];

beforeAll(async () => {
  ctx = await createTestContext({
    MONGODB_URI: `${inject('mongoBaseUri')}/t_idx_${randomBytes(4).toString('hex')}?monitorCommands=true`,
    MAX_REQUESTS_PER_DAY: '100',
  });
  await seedDemo(ctx.models);
  queue = createRequestQueue(ctx);
  outbox = createOutbox(ctx);
  service = createRequestService(ctx, { outbox, queue });
});
afterAll(async () => {
  await service.close();
  await queue.close();
  await outbox.close();
  await ctx.cleanup();
});

const SITI = '081287611943';
const BUDI = '0813-1111-2222';

describe('production queries and the declared indexes', () => {
  it('every filter of a journey through the four rights is served by a declared index', async () => {
    let clock = Date.now();
    const otp = createOtpService(ctx, createConsoleOtpProvider(ctx), { now: () => clock });
    const engine = new ConversationEngine(
      ctx,
      { otp, requests: service },
      loadFlows(FLOWS_DIR, flowCatalog()),
    );
    let n = 0;
    const say = async (chatId: string, text: string): Promise<OutboundMessage[]> => {
      n += 1;
      const inbound: InboundMessage = {
        channel: 'webchat',
        chatId,
        senderId: chatId,
        receivedAt: new Date(clock),
        messageId: `m${n}`,
        messageKey: `${chatId}:m${n}`,
        text,
      };
      return engine.handle(inbound);
    };
    const code = async () => {
      await otp.drain();
      const [latest] = await readDevOtpOutbox(ctx);
      return latest?.code ?? 'no-code';
    };
    // A right in a fresh chat: the word, the number, the code (a minute after the last one), then
    // the flow's own answers.
    const right = async (chatId: string, word: string, phone: string, answers: string[]) => {
      clock += 61_000;
      await say(chatId, word);
      await say(chatId, phone);
      await say(chatId, await code());
      for (const a of answers) await say(chatId, a);
    };

    const recorder = recordQueries(ctx);
    try {
      await say('idx-0', 'halo');
      await right('idx-1', 'akses', SITI, ['ya']);
      await say('idx-1', 'status');
      await say('idx-1', 'status');
      await right('idx-2', 'ubah', SITI, ['3', 'siti.baru@example.co.id', 'ya']);
      await say('idx-2', 'STOP');
      await right('idx-3', 'hapus', BUDI, ['ya']);

      const { siti, budi, opened } = await recorder.aside(async () => ({
        siti: await ctx.models.Customer.findOne({ customerNo: 'SJ-000001' }).lean(),
        budi: await ctx.models.Customer.findOne({ customerNo: 'SJ-000002' }).lean(),
        opened: await ctx.models.PrivacyRequest.find({}).sort({ createdAt: 1 }).lean(),
      }));
      // The promo's send-time check and a reply to a promo (quoting it, or a bare "batal" after it:
      // the chat's latest promo), before anyone is erased. A run's
      // start reads the open requests by status and the whole do-not-market list once, by design.
      const watch = await recorder.aside(() => OptOutWatch.open(ctx));
      const batchFrom = recorder.queries.length;
      await checkBatch(
        ctx,
        watch,
        [siti, budi].filter((c) => c !== null),
        'telegram',
      );
      // Issue 15: the per-batch check sends no `$in`, `$or` or `$exists` (FerretDB reads the whole
      // collection for each; MongoDB needs none of them here).
      const perBatch = recorder.queries.slice(batchFrom).map((q) => JSON.stringify(q.filter));
      expect(perBatch.length).toBeGreaterThan(0);
      expect(perBatch.filter((f) => /"\$(in|or|exists)"/.test(f))).toEqual([]);
      if (siti) await checkRecipient(ctx, siti._id, 'telegram');
      await promoOfReply(ctx, { channel: 'webchat', chatId: 'idx-2', replyToMessageId: 'promo-1' });
      await latestPromoOfChat(ctx, { channel: 'webchat', chatId: 'idx-2' }, new Date(clock - 3600_000));
      const deps = { outbox, now: () => new Date(clock), buildAccessPackage };
      for (const r of opened.filter((x) => x.status === 'queued'))
        await processRequest(ctx, deps, r.ref, { id: String(r._id) });
      const flagged = opened.find((r) => r.status === 'pending_approval');
      if (flagged)
        await service.decide({
          ref: flagged.ref,
          outcome: 'rejected',
          staff: 'staff:idx',
          reason: 'pesanan terbuka',
        });
      // Siti's erasure last, after her other requests ran.
      await right('idx-4', 'hapus', SITI, ['ya']);
      const erase = await recorder.aside(() => ctx.models.PrivacyRequest.findOne({ chatId: 'idx-4' }).lean());
      if (erase) await processRequest(ctx, deps, erase.ref, { id: String(erase._id) });
      await reconcileRequests(ctx, queue, { outbox, now: () => new Date(clock + 60_000) });
      await runSlaCheck(ctx, { now: () => new Date(clock + 60 * 3_600_000) });

      // The journey did what it says: without it, no filter would have been checked.
      const all = await recorder.aside(() =>
        ctx.models.PrivacyRequest.find({}, { type: 1, status: 1 }).lean(),
      );
      expect(all.map((r) => `${r.type}:${r.status}`).sort()).toEqual([
        'access:completed',
        'erase:completed',
        'erase:rejected',
        'unsubscribe:completed',
        'update:completed',
      ]);
    } finally {
      recorder.stop();
      queries = recorder.queries;
    }

    const indexes = declaredIndexes(ctx.models as unknown as Record<string, Model<unknown>>);
    const collections = new Set(queries.map((q) => q.collection));
    for (const c of ['customers', 'privacyrequests', 'serviceorders', 'suppressions'])
      expect(collections, c).toContain(c);
    const unserved = queries
      .filter((q) => !servedByIndex(q.filter, indexes.get(q.collection) ?? [['_id']]))
      .map((q) => `${q.collection} ${q.command} ${JSON.stringify(q.filter)}`);
    expect([...new Set(unserved)]).toEqual([]);
  });

  it('knows a filter no declared index serves when it sees one', () => {
    const indexes = [['_id'], ['customerId', 'createdAt'], ['status', 'dueAt']];
    expect(servedByIndex({ customerId: 'x', createdAt: { $gte: 1 } }, indexes)).toBe(true);
    expect(servedByIndex({ status: { $in: ['queued'] }, type: 'access' }, indexes)).toBe(true);
    expect(servedByIndex({ createdAt: { $gte: 1 } }, indexes)).toBe(false);
    expect(servedByIndex({ auditPending: true }, indexes)).toBe(false);
    expect(servedByIndex({ status: { $ne: 'queued' } }, indexes)).toBe(false);
    expect(servedByIndex({}, indexes)).toBe(false);
    expect(servedByIndex({ $or: [{ customerId: 'x' }, { status: 'queued' }] }, indexes)).toBe(true);
    expect(servedByIndex({ $or: [{ customerId: 'x' }, { type: 'access' }] }, indexes)).toBe(false);
  });
});
