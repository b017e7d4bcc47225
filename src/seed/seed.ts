import type { Types } from 'mongoose';
import { bulkWriteInChunks, type Models } from '../db/index.js';
import { demoCustomers, demoOrders } from './demo-data.js';

export interface SeedReport {
  customers: { created: number; existing: number };
  orders: { created: number; existing: number };
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Loads the demo tenant. Idempotent: upserts by customerNo / orderNo with $setOnInsert, so a
 * second run creates nothing and never undoes what the demo did (an erased customer stays erased).
 */
export async function seedDemo(models: Models, now = new Date()): Promise<SeedReport> {
  const customerOps = demoCustomers.map((c) => ({
    updateOne: {
      filter: { customerNo: c.customerNo },
      update: {
        $setOnInsert: {
          customerNo: c.customerNo,
          name: c.name,
          phone: c.phone,
          email: c.email,
          address: c.address,
          area: c.area,
          paymentMethod: c.paymentMethod,
          marketingConsent: { granted: c.marketing, updatedAt: now, source: 'seed' },
          consentHistory: [{ granted: c.marketing, at: now, source: 'seed', channel: 'form' }],
          createdAt: now,
          updatedAt: now,
        },
      },
      upsert: true,
    },
  }));
  // In chunks: FerretDB on PostgreSQL locks up on a bulk write of many matching upserts (a re-run).
  const customersResult = await bulkWriteInChunks(models.Customer.db, customerOps, (chunk) =>
    models.Customer.bulkWrite(chunk, { ordered: false, timestamps: false }),
  );

  const ids = new Map<string, Types.ObjectId>();
  for (const c of await models.Customer.find(
    { customerNo: { $in: demoCustomers.map((d) => d.customerNo) } },
    { customerNo: 1 },
  ).lean()) {
    ids.set(c.customerNo, c._id);
  }
  const byNo = new Map(demoCustomers.map((c) => [c.customerNo, c]));
  const orderOps = demoOrders.map((o) => {
    const when = new Date(now.getTime() + o.dayOffset * DAY);
    return {
      updateOne: {
        filter: { orderNo: o.orderNo },
        update: {
          $setOnInsert: {
            orderNo: o.orderNo,
            customerId: ids.get(o.customerNo),
            service: o.service,
            status: o.status,
            scheduledAt: when,
            ...(o.status === 'completed' ? { completedAt: when } : {}),
            address: byNo.get(o.customerNo)?.address,
            amount: o.amount,
            paymentStatus: o.paymentStatus,
            paymentMethod: byNo.get(o.customerNo)?.paymentMethod,
            createdAt: now,
            updatedAt: now,
          },
        },
        upsert: true,
      },
    };
  });
  const ordersResult = await bulkWriteInChunks(models.ServiceOrder.db, orderOps, (chunk) =>
    models.ServiceOrder.bulkWrite(chunk, { ordered: false, timestamps: false }),
  );

  return {
    customers: {
      created: customersResult.upsertedCount,
      existing: demoCustomers.length - customersResult.upsertedCount,
    },
    orders: { created: ordersResult.upsertedCount, existing: demoOrders.length - ordersResult.upsertedCount },
  };
}
