import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx.cleanup());

describe('data model', () => {
  it('rejects a second customer with the same phone', async () => {
    const { Customer } = ctx.models;
    await Customer.create({ customerNo: 'C-1', name: 'Siti', phone: '+6281287611943' });
    await expect(
      Customer.create({ customerNo: 'C-2', name: 'Budi', phone: '+6281287611943' }),
    ).rejects.toMatchObject({
      code: 11000,
    });
  });

  it('rejects a second customer with the same customerNo', async () => {
    const { Customer } = ctx.models;
    await expect(Customer.create({ customerNo: 'C-1', phone: '+6281200000001' })).rejects.toMatchObject({
      code: 11000,
    });
  });

  it('lets many erased customers (no phone) exist', async () => {
    const { Customer } = ctx.models;
    await Customer.create({ customerNo: 'C-E1', erasedAt: new Date() });
    await Customer.create({ customerNo: 'C-E2', erasedAt: new Date() });
    expect(await Customer.countDocuments({ phone: { $exists: false } })).toBe(2);
  });

  it('keeps audit events append-only', async () => {
    const { AuditEvent } = ctx.models;
    await AuditEvent.create({ actor: 'system:test', action: 'test.event' });
    await expect(AuditEvent.updateMany({}, { $set: { action: 'changed' } })).rejects.toThrow(/append-only/);
    await expect(AuditEvent.deleteMany({})).rejects.toThrow(/append-only/);
    expect(await AuditEvent.countDocuments({ action: 'test.event' })).toBe(1);
  });

  it('rejects an order amount that is not whole rupiah', async () => {
    const { ServiceOrder, Customer } = ctx.models;
    const c = await Customer.findOne({ customerNo: 'C-1' }).orFail();
    await expect(
      ServiceOrder.create({
        orderNo: 'SO-1',
        customerId: c._id,
        service: 'sedot WC',
        status: 'scheduled',
        scheduledAt: new Date(),
        amount: 10.5,
        paymentStatus: 'unpaid',
      }),
    ).rejects.toThrow(/whole rupiah/);
  });
});
