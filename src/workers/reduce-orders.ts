import type { Types } from 'mongoose';
import type { AppContext } from '../app/context.js';

/** What a finished order keeps after erasure: what bookkeeping needs, nothing personal. */
const KEPT_FIELDS = [
  'orderNo',
  'customerId',
  'service',
  'status',
  'scheduledAt',
  'completedAt',
  'amount',
  'paymentStatus',
  'createdAt',
] as const;
const CHUNK = 1000;
const STAGING = 'erasurestaging';

/** Finished orders (see requests/order-obligations.ts) as plain equality filters, which FerretDB pushes down. */
const FINISHED_SELECTIONS = [
  { status: 'cancelled' },
  { status: 'completed', paymentStatus: 'paid' },
  { status: 'completed', paymentStatus: 'refunded' },
] as const;

interface OrderRow {
  _id: unknown;
  status?: string;
  paymentStatus?: string;
  anonymizedAt?: Date;
  updatedAt?: Date;
}
/** One document per erasure (10,000 reduced orders are about 2 MB, far under the 16 MB limit). */
interface StagedErasure {
  _id: string;
  /** Newest updatedAt among the originals when they were read: only older ones are replaced. */
  readUntil: Date;
  orders: Record<string, unknown>[];
}

const isFinished = (o: OrderRow) =>
  o.status === 'cancelled' || (o.status === 'completed' && o.paymentStatus !== 'unpaid');

const ignoreDuplicates = (err: unknown) => {
  const e = err as { code?: number; writeErrors?: { code?: number }[] };
  const duplicateOnly =
    e.code === 11000 || (e.writeErrors?.length ? e.writeErrors.every((w) => w.code === 11000) : false);
  if (!duplicateOnly) throw err;
};

/**
 * Reduces a customer's finished orders to their bookkeeping fields, in bulk.
 *
 * Rewritten rather than updated: FerretDB 1.24 (SQLite) runs `updateMany` one document at a time
 * with a full scan each (10,000 orders: about an hour), while find, delete and insert by an
 * indexed equality are linear. Crash-safe: reduced copies go to a staging collection first (keyed
 * by the erase ref), so a re-run after a kill at any step finishes the same rewrite and loses
 * nothing. An order changed after it was read (e.g. an open job completed meanwhile) is newer
 * than `readUntil`, is not deleted, and is reduced by a later erase.
 */
export async function reduceFinishedOrders(
  ctx: AppContext,
  customerId: Types.ObjectId,
  ref: string,
  at: Date,
): Promise<number> {
  const db = ctx.mongo.db;
  if (!db) throw new Error('MongoDB is not connected');
  const staging = db.collection<StagedErasure>(STAGING);
  const orders = db.collection(ctx.models.ServiceOrder.collection.collectionName);

  let staged = await staging.findOne({ _id: ref });
  if (!staged) {
    const projection = Object.fromEntries([...KEPT_FIELDS, 'anonymizedAt', 'updatedAt'].map((f) => [f, 1]));
    // Selected in code: FerretDB evaluates $or slowly, and customerId is indexed.
    const rows = (await orders.find({ customerId }, { projection }).toArray()) as unknown as (OrderRow &
      Record<string, unknown>)[];
    const finished = rows.filter((o) => !o.anonymizedAt && isFinished(o));
    if (finished.length === 0) return 0;
    staged = {
      _id: ref,
      readUntil: new Date(Math.max(...finished.map((o) => o.updatedAt?.getTime() ?? 0))),
      orders: finished.map(({ anonymizedAt: _gone, updatedAt: _read, ...order }) => ({
        ...order,
        anonymizedAt: at,
        updatedAt: at,
      })),
    };
    await staging.insertOne(staged).catch(ignoreDuplicates);
  }
  const { readUntil } = staged;
  for (const selection of FINISHED_SELECTIONS) {
    for (const unchanged of [{ $lte: readUntil }, { $exists: false }]) {
      await orders.deleteMany({
        customerId,
        anonymizedAt: { $exists: false },
        updatedAt: unchanged,
        ...selection,
      });
    }
  }
  for (let i = 0; i < staged.orders.length; i += CHUNK) {
    await orders.insertMany(staged.orders.slice(i, i + CHUNK), { ordered: false }).catch(ignoreDuplicates);
  }
  await staging.deleteOne({ _id: ref });
  return staged.orders.length;
}
