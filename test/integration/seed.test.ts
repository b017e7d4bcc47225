import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/seed/seed.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.cleanup());

describe('demo seed', () => {
  it('creates the demo tenant once and nothing on a second run', async () => {
    const first = await seedDemo(ctx.models);
    expect(first.customers).toEqual({ created: 50, existing: 0 });
    expect(first.orders.created).toBeGreaterThan(50);

    const second = await seedDemo(ctx.models);
    expect(second.customers).toEqual({ created: 0, existing: 50 });
    expect(second.orders).toEqual({ created: 0, existing: first.orders.created });
    expect(await ctx.models.Customer.countDocuments()).toBe(50);
    expect(await ctx.models.ServiceOrder.countDocuments()).toBe(first.orders.created);
  });

  it('covers every order status, every service, unpaid orders and both consent answers', async () => {
    const statuses = await ctx.models.ServiceOrder.distinct('status');
    expect(statuses.sort()).toEqual(['cancelled', 'completed', 'in_progress', 'scheduled']);
    const services = await ctx.models.ServiceOrder.distinct('service');
    expect(services.sort()).toEqual(['pembersihan saluran', 'perawatan septic tank', 'sedot WC']);
    expect(await ctx.models.ServiceOrder.countDocuments({ paymentStatus: 'unpaid' })).toBeGreaterThan(0);
    const consenting = await ctx.models.Customer.countDocuments({ 'marketingConsent.granted': true });
    expect(consenting).toBeGreaterThan(0);
    expect(consenting).toBeLessThan(50);
  });

  it('includes the customer with the policy’s contact number, in E.164', async () => {
    const siti = await ctx.models.Customer.findOne({ phone: '+6281287611943' }).lean();
    expect(siti?.customerNo).toBe('SJ-000001');
    const phones = await ctx.models.Customer.distinct('phone');
    for (const phone of phones) expect(phone).toMatch(/^\+62\d{8,13}$/);
  });

  it('does not undo what the demo did: an erased customer stays erased', async () => {
    await ctx.models.Customer.updateOne(
      { customerNo: 'SJ-000003' },
      { $set: { erasedAt: new Date() }, $unset: { name: 1, phone: 1, email: 1, address: 1 } },
    );
    await seedDemo(ctx.models);
    const erased = await ctx.models.Customer.findOne({ customerNo: 'SJ-000003' }).lean();
    expect(erased?.erasedAt).toBeInstanceOf(Date);
    expect(erased?.name).toBeUndefined();
  });
});
