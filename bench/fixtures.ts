import { Types } from 'mongoose';
import type { AppContext } from '../src/app/context.js';

/**
 * Synthetic customers for the benchmarks: every personal field filled (so erasure and the access
 * package have real work), phones in a range no demo customer uses.
 */
/** Phones are `+6281<series><6 digits>`: series 90-99 are never used by the demo data. */
export async function seedCustomers(ctx: AppContext, count: number, series = 90): Promise<Types.ObjectId[]> {
  const now = new Date();
  const docs = Array.from({ length: count }, (_, i) => {
    const n = String(i).padStart(6, '0');
    return {
      _id: new Types.ObjectId(),
      customerNo: `SJ-B${series}${n}`,
      name: `Pelanggan Uji ${n}`,
      phone: `+6281${series}${n}`,
      email: `uji.${series}.${n}@contoh.id`,
      address: `Jl. Melati No. ${i + 1}, Jakarta Selatan`,
      area: 'Jakarta Selatan',
      paymentMethod: 'transfer BCA',
      marketingConsent: { granted: true, updatedAt: now, source: 'seed' },
      consentHistory: [{ granted: true, at: now, source: 'seed', channel: 'form' }],
      createdAt: now,
      updatedAt: now,
    };
  });
  for (let i = 0; i < docs.length; i += 1000) {
    await ctx.models.Customer.insertMany(docs.slice(i, i + 1000), { lean: true });
  }
  return docs.map((d) => d._id);
}

/** `count` finished (completed, paid) orders of one customer, inserted in batches. */
export async function seedOrders(ctx: AppContext, customerId: Types.ObjectId, count: number): Promise<void> {
  const base = Date.UTC(2020, 0, 1);
  const tag = String(customerId).slice(-6);
  const docs = Array.from({ length: count }, (_, i) => ({
    orderNo: `SO-${tag}-${i}`,
    customerId,
    service: i % 3 === 0 ? 'perawatan septic tank' : 'sedot WC',
    status: 'completed',
    scheduledAt: new Date(base + i * 3_600_000),
    completedAt: new Date(base + i * 3_600_000 + 7_200_000),
    address: 'Jl. Melati No. 1, Jakarta Selatan',
    amount: 350_000,
    paymentStatus: 'paid',
    paymentMethod: 'transfer BCA',
    notes: 'Pelanggan minta datang pagi.',
  }));
  for (let i = 0; i < docs.length; i += 2000) {
    await ctx.models.ServiceOrder.insertMany(docs.slice(i, i + 2000), { lean: true });
  }
}
