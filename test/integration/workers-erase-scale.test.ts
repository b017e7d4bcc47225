import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestQueue, type RequestQueue } from '../../src/requests/queue.js';
import { createRequestService } from '../../src/requests/service.js';
import { buildAccessPackage } from '../../src/workers/access/package.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { recordingOutbox, seedCustomer } from '../fixtures/requests-kit.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * Scale: erasing a customer's orders is one bulk update, and an access package for 1,000 orders
 * goes through the worker. The measured times are printed for the README.
 *
 * FerretDB 1.24 (SQLite) runs every updated document as its own `UPDATE … WHERE
 * _ferretdb_sjson->'$._id' = ?`, an expression its `_id` index (`->"_id"`) does not serve, so an
 * update of M documents scans the collection M times. On the test server an erasure therefore
 * grows with the square of the order count; MongoDB does the same updateMany in one indexed pass.
 * HAKDATA_ERASE_ORDERS=10000 runs the size (minutes on FerretDB).
 */
const ERASE_ORDERS = Number(process.env.HAKDATA_ERASE_ORDERS ?? 300);
let ctx: TestContext;
let queue: RequestQueue;

beforeAll(async () => {
  ctx = await createTestContext();
  queue = createRequestQueue(ctx);
});
afterAll(async () => {
  await queue.close();
  await ctx.cleanup();
});

describe('at scale', () => {
  it(`erases a customer with ${ERASE_ORDERS} orders in one bulk operation`, async () => {
    const c = await seedCustomer(ctx, { orders: ERASE_ORDERS });
    const outbox = recordingOutbox();
    const service = createRequestService(ctx, { outbox, queue });
    const { ref } = await service.create({
      type: 'erase',
      customerId: String(c._id),
      channel: 'telegram',
      chatId: 'big-1',
      locale: 'id',
    });

    const started = performance.now();
    expect(await processRequest(ctx, { outbox, now: () => new Date() }, ref)).toBe('completed');
    const ms = performance.now() - started;
    console.warn(`[measure] erase of a customer with ${ERASE_ORDERS} orders: ${Math.round(ms)} ms`);

    expect(
      await ctx.models.ServiceOrder.countDocuments({ customerId: c._id, anonymizedAt: { $exists: true } }),
    ).toBe(ERASE_ORDERS);
    expect(
      await ctx.models.ServiceOrder.countDocuments({ customerId: c._id, address: { $exists: true } }),
    ).toBe(0);
    expect(
      await ctx.models.ServiceOrder.countDocuments({ customerId: c._id, notes: { $exists: true } }),
    ).toBe(0);
  }, 1_200_000);

  it('sends the access package of a customer with 1,000 orders', async () => {
    const c = await seedCustomer(ctx, { orders: 1_000 });
    const outbox = recordingOutbox();
    const service = createRequestService(ctx, { outbox, queue });
    const { ref } = await service.create({
      type: 'access',
      customerId: String(c._id),
      channel: 'telegram',
      chatId: 'big-2',
      locale: 'id',
    });

    const started = performance.now();
    expect(await processRequest(ctx, { outbox, now: () => new Date(), buildAccessPackage }, ref)).toBe(
      'completed',
    );
    const ms = performance.now() - started;
    console.warn(`[measure] access request for a customer with 1,000 orders: ${Math.round(ms)} ms`);
    const docs = outbox.delivered[0]?.messages.filter((m) => m.kind === 'document') ?? [];
    expect(docs.map((d) => (d.kind === 'document' ? d.fileName : ''))).toEqual([
      'data-saya.json',
      'data-saya.pdf',
    ]);
    const r = await ctx.models.PrivacyRequest.findOne({ ref }).lean();
    expect(r?.result).toMatchObject({ orders: 1_000 });
  }, 120_000);
});
