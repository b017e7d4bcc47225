import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivacyRequest } from '../../src/db/index.js';
import { assumeServerShape, serverShape } from '../../src/db/server-shape.js';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService, type RequestServiceImpl } from '../../src/requests/service.js';
import { transition } from '../../src/requests/states.js';
import { processRequest, REQUEST_HANDLERS } from '../../src/workers/request-worker.js';
import { recordingOutbox, seedCustomer } from '../fixtures/requests-kit.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * The suite runs on FerretDB, which gets reads and writes by `_id` (db/server-shape.ts). This
 * file makes the same server take the form MongoDB 7 is sent, one conditional write per status
 * change and per consent change, and checks it keeps the same promises: the table refuses,
 * racing changes have one winner, a re-run writes nothing twice, an erased customer is not
 * written to.
 */
let ctx: TestContext;
let queue: RequestQueue;
let service: RequestServiceImpl;
const outbox = recordingOutbox();

beforeAll(async () => {
  ctx = await createTestContext();
  queue = createRequestQueue(ctx);
  service = createRequestService(ctx, { outbox, queue });
});
afterAll(async () => {
  await queue.close();
  await ctx.cleanup();
});

const base = (customerId: unknown, chatId: string) => ({
  customerId: String(customerId),
  channel: 'telegram',
  chatId,
  locale: 'id' as const,
});

describe('the form sent to each server', () => {
  it('is read from the server: FerretDB here, so reads and writes by _id', async () => {
    expect(await serverShape(ctx.mongo)).toEqual({ idOnlyLookups: true });
  });

  describe('with conditional writes (MongoDB)', () => {
    beforeAll(() => assumeServerShape(ctx.mongo, { idOnlyLookups: false }));

    it('refuses what the table or the current status does not allow, and one of two racers wins', async () => {
      const c = await seedCustomer(ctx);
      const r = await service.create({ ...base(c._id, 'shape-1'), type: 'access' });
      await expect(
        transition(ctx, { ref: r.ref, from: 'processing', to: 'completed', actor: 'test' }),
      ).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION', message: expect.stringContaining('is queued') });
      await expect(
        transition(ctx, { ref: 'PR-ZZZZZ3', from: 'queued', to: 'processing', actor: 'test' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const results = await Promise.allSettled([
        transition(ctx, { ref: r.ref, from: 'queued', to: 'cancelled', actor: 'a' }),
        transition(ctx, { ref: r.ref, from: 'queued', to: 'processing', actor: 'b' }),
      ]);
      expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean();
      expect(doc?.history).toHaveLength(2);
    });

    it('unsubscribes exactly once when the job runs again, with every event once and in order', async () => {
      const c = await seedCustomer(ctx);
      const r = await service.create({
        ...base(c._id, 'shape-2'),
        type: 'unsubscribe',
        proof: { words: 'STOP', messageId: 'tg-shape' },
      });
      const deps = { outbox, now: () => new Date() };
      expect(await processRequest(ctx, deps, r.ref)).toBe('completed');
      expect(await processRequest(ctx, deps, r.ref)).toBe('skipped');
      // The effect alone, run again (as after a crash before the close): no second entry.
      const doc = await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean<PrivacyRequest>();
      if (!doc) throw new Error('no request');
      await REQUEST_HANDLERS.unsubscribe(ctx, doc, deps);
      const after = await ctx.models.Customer.findById(c._id).lean();
      expect(after?.marketingConsent.granted).toBe(false);
      expect(after?.consentHistory.filter((h) => h.requestRef === r.ref)).toHaveLength(1);
      const events = await ctx.models.AuditEvent.find({ requestRef: r.ref }).sort({ _id: 1 }).lean();
      expect(events.map((e) => e.action)).toEqual([
        'request.created',
        'request.status',
        'consent.changed',
        'request.status',
      ]);
      expect((await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean())?.auditPending).toBeUndefined();
    });

    it('writes nothing to a customer erased meanwhile', async () => {
      const c = await seedCustomer(ctx);
      const r = await service.create({
        ...base(c._id, 'shape-3'),
        type: 'unsubscribe',
        proof: { words: 'STOP' },
      });
      await ctx.models.Customer.updateOne(
        { _id: c._id },
        { $set: { erasedAt: new Date(), consentHistory: [] } },
      );
      expect(await processRequest(ctx, { outbox, now: () => new Date() }, r.ref)).toBe('completed');
      const after = await ctx.models.Customer.findById(c._id).lean();
      expect(after?.consentHistory).toEqual([]);
      expect((await ctx.models.PrivacyRequest.findOne({ ref: r.ref }).lean())?.result).toMatchObject({
        alreadyErased: true,
      });
    });
  });
});
