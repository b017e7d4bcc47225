import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reduceFinishedOrders } from '../../src/workers/reduce-orders.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * The erase's order rewrite on its own: how many orders it reports (the erase's result and audit
 * take them from here, with no count queries), and a run that dies between its steps finishing
 * on the next run with nothing lost and nothing personal left.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.cleanup());

class Crash extends Error {}

async function customerWithOrders(finished: number, open: number, unpaid: number) {
  const customerId = new Types.ObjectId();
  const tag = String(customerId).slice(-8);
  const order = (i: number, status: string, paymentStatus: string) => ({
    orderNo: `SO-${tag}-${status}-${paymentStatus}-${i}`,
    customerId,
    service: 'sedot WC',
    status,
    scheduledAt: new Date(Date.UTC(2024, 0, 1) + i * 86_400_000),
    address: 'Jl. Kenanga No. 7, Depok',
    amount: 350_000,
    paymentStatus,
    paymentMethod: 'transfer BCA',
    notes: 'Hubungi Ibu Kartika',
  });
  const docs = [
    ...Array.from({ length: finished }, (_, i) => order(i, i % 5 === 0 ? 'cancelled' : 'completed', 'paid')),
    ...Array.from({ length: open }, (_, i) => order(i, 'scheduled', 'unpaid')),
    ...Array.from({ length: unpaid }, (_, i) => order(i, 'completed', 'unpaid')),
  ];
  // Half through mongoose (timestamps), half as another program would write them (none).
  const half = Math.floor(docs.length / 2);
  if (half > 0) await ctx.models.ServiceOrder.insertMany(docs.slice(0, half));
  if (docs.length > half) await ctx.mongo.collection('serviceorders').insertMany(docs.slice(half));
  return customerId;
}

async function state(customerId: Types.ObjectId) {
  const orders = await ctx.models.ServiceOrder.find({ customerId }).lean();
  return {
    total: orders.length,
    reduced: orders.filter((o) => o.anonymizedAt).length,
    personal: orders.filter((o) => o.anonymizedAt && (o.address || o.notes || o.paymentMethod)).length,
    openWhole: orders.filter((o) => !o.anonymizedAt && o.address).length,
  };
}

describe('reducing finished orders', () => {
  it('rewrites a few in place and says how many are reduced and kept', async () => {
    const customerId = await customerWithOrders(12, 2, 1);
    const at = new Date();
    expect(await reduceFinishedOrders(ctx, customerId, 'PR-FEW001', at, { resumed: false })).toEqual({
      anonymized: 12,
      kept: 3,
    });
    expect(await state(customerId)).toEqual({ total: 15, reduced: 12, personal: 0, openWhole: 3 });
    // Again: nothing left to do, the same answer.
    expect(await reduceFinishedOrders(ctx, customerId, 'PR-FEW001', at)).toEqual({ anonymized: 12, kept: 3 });
  });

  for (const step of ['staged', 'deleted'] as const) {
    it(`finishes a staged rewrite that died after it was ${step}, losing no order`, async () => {
      const customerId = await customerWithOrders(120, 3, 2);
      const at = new Date();
      await expect(
        reduceFinishedOrders(ctx, customerId, `PR-DIE${step === 'staged' ? 'S' : 'D'}01`, at, {
          resumed: false,
          checkpoint: async (s) => {
            if (s === step) throw new Crash(s);
          },
        }),
      ).rejects.toBeInstanceOf(Crash);
      const between = await state(customerId);
      // After the delete and before the insert, the finished orders exist only in the staging.
      expect(between.total).toBe(step === 'deleted' ? 5 : 125);
      expect(await ctx.mongo.collection('erasurestaging').countDocuments({})).toBe(1);

      const again = await reduceFinishedOrders(
        ctx,
        customerId,
        `PR-DIE${step === 'staged' ? 'S' : 'D'}01`,
        at,
        {
          resumed: true,
        },
      );
      expect(again).toEqual({ anonymized: 120, kept: 5 });
      expect(await state(customerId)).toEqual({ total: 125, reduced: 120, personal: 0, openWhole: 5 });
      expect(await ctx.mongo.collection('erasurestaging').countDocuments({})).toBe(0);
    });
  }

  it('leaves an order changed while the rewrite ran whole, and counts it kept', async () => {
    const customerId = await customerWithOrders(80, 0, 0);
    let changed = '';
    const result = await reduceFinishedOrders(ctx, customerId, 'PR-RACE01', new Date(), {
      resumed: false,
      checkpoint: async (s) => {
        if (s !== 'staged') return;
        // Someone corrects an order after it was read (a later updatedAt than any read).
        const one = await ctx.models.ServiceOrder.findOneAndUpdate(
          { customerId, status: 'completed' },
          { $set: { notes: 'dibetulkan', updatedAt: new Date(Date.now() + 60_000) } },
          { timestamps: false },
        ).lean();
        changed = String(one?._id);
      },
    });
    expect(result).toEqual({ anonymized: 79, kept: 1 });
    const whole = await ctx.models.ServiceOrder.findById(changed).lean();
    expect(whole?.anonymizedAt).toBeUndefined();
    expect(whole?.notes).toBe('dibetulkan');
  });
});
