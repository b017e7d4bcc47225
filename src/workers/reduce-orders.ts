import type { AnyBulkWriteOperation, ObjectId } from 'mongodb';
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
/** Up to this many finished orders are rewritten in place, in one bulk write, without staging. */
const IN_PLACE_MAX = 50;
/** Asks for every order in the first reply (MongoDB caps a reply at 16 MB; 10,000 reduced orders are about 2 MB). */
const READ_BATCH = 100_000;
const STAGING = 'erasurestaging';

/** Orders that still bind the business (see requests/order-obligations.ts): never reduced. */
const UNFINISHED = [
  { status: { $in: ['scheduled', 'in_progress'] } },
  { status: 'completed', paymentStatus: 'unpaid' },
];

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

/** How the customer's orders stand once reduced: the erase's result and audit say so. */
export interface ReducedOrders {
  /** Reduced, by this erasure or an earlier run of it. */
  anonymized: number;
  /** Kept whole: open or unpaid, or changed while the erasure ran (a later erase reduces them). */
  kept: number;
}

const isFinished = (o: OrderRow) =>
  o.status === 'cancelled' || (o.status === 'completed' && o.paymentStatus !== 'unpaid');

/** Indexes of the documents a write refused as duplicates; anything else is thrown. */
const duplicatesOf = (err: unknown): Set<number> => {
  const e = err as { code?: number; writeErrors?: { code?: number; index?: number }[] };
  const writeErrors = e.writeErrors ?? [];
  const duplicateOnly =
    writeErrors.length > 0 ? writeErrors.every((w) => w.code === 11000) : e.code === 11000;
  if (!duplicateOnly) throw err;
  return new Set(writeErrors.map((w) => w.index ?? -1));
};

const reduce = (order: OrderRow & Record<string, unknown>, at: Date) => {
  const { anonymizedAt: _gone, updatedAt: _read, ...kept } = order;
  return { ...kept, anonymizedAt: at, updatedAt: at };
};

/**
 * Reduces a customer's finished orders to their bookkeeping fields, in bulk, and says how many
 * orders are reduced and how many kept (no count queries afterwards).
 *
 * A few (up to IN_PLACE_MAX) are replaced in place: one bulk write of guarded replaceOne's,
 * each atomic, so a re-run simply finds those still whole. More are rewritten rather than
 * updated: FerretDB 1.24 (SQLite) runs `updateMany` one document at a time with a full scan each
 * (10,000 orders: about an hour), while find, delete and insert are linear. Crash-safe: reduced
 * copies go to a staging collection first (keyed by the erase ref), then one deleteMany and one
 * insertMany; a re-run (`resumed`) reads the staging first and finishes the same rewrite, losing
 * nothing. An order changed after it was read (e.g. an open job completed meanwhile) is newer
 * than `readUntil`, is not deleted or replaced, and is reduced by a later erase.
 */
export async function reduceFinishedOrders(
  ctx: AppContext,
  customerId: Types.ObjectId,
  ref: string,
  at: Date,
  options: { resumed?: boolean } = {},
): Promise<ReducedOrders> {
  const db = ctx.mongo.db;
  if (!db) throw new Error('MongoDB is not connected');
  const staging = db.collection<StagedErasure>(STAGING);
  const orders = db.collection(ctx.models.ServiceOrder.collection.collectionName);
  const resumed = options.resumed ?? true;

  // A first run has no staging to find (it is keyed by this request's ref): no read for it.
  let staged = resumed ? await staging.findOne({ _id: ref }) : null;
  const projection = Object.fromEntries([...KEPT_FIELDS, 'anonymizedAt', 'updatedAt'].map((f) => [f, 1]));
  // Selected in code: FerretDB evaluates $or slowly, and customerId is indexed.
  const rows = (await orders
    .find({ customerId }, { projection, batchSize: READ_BATCH })
    .toArray()) as unknown as (OrderRow & Record<string, unknown>)[];
  const finished = rows.filter((o) => !o.anonymizedAt && isFinished(o));
  const anonymized = new Set(rows.filter((o) => o.anonymizedAt).map((o) => String(o._id)));
  const all = new Set(rows.map((o) => String(o._id)));
  const result = () => ({ anonymized: anonymized.size, kept: all.size - anonymized.size });

  if (!staged && finished.length === 0) return result();
  if (!staged && finished.length <= IN_PLACE_MAX) {
    const written = await orders.bulkWrite(
      finished.map(
        (o): AnyBulkWriteOperation => ({
          replaceOne: {
            // Unchanged since read: the same updatedAt (or still none).
            filter: { _id: o._id as ObjectId, anonymizedAt: null, updatedAt: o.updatedAt ?? null },
            replacement: Object.fromEntries(Object.entries(reduce(o, at)).filter(([k]) => k !== '_id')),
          },
        }),
      ),
      { ordered: false },
    );
    // Those not matched changed meanwhile and stay whole.
    const reduced = anonymized.size + written.matchedCount;
    return { anonymized: reduced, kept: all.size - reduced };
  }
  if (!staged) {
    staged = {
      _id: ref,
      readUntil: new Date(Math.max(...finished.map((o) => o.updatedAt?.getTime() ?? 0))),
      orders: finished.map((o) => reduce(o, at)),
    };
    try {
      await staging.insertOne(staged);
    } catch (err) {
      duplicatesOf(err);
      // Another run staged first: its copy is the one to finish.
      staged = (await staging.findOne({ _id: ref })) ?? staged;
    }
  }
  // One delete for every staged original still unchanged (`$not: {$gt}` also matches orders
  // written without timestamps); open and unpaid orders are never matched.
  await orders.deleteMany({
    customerId,
    anonymizedAt: null,
    updatedAt: { $not: { $gt: staged.readUntil } },
    $nor: UNFINISHED,
  });
  let refused = new Set<number>();
  try {
    await orders.insertMany(staged.orders, { ordered: false });
  } catch (err) {
    // Inserted by an earlier run, or the original changed meanwhile and was not deleted.
    refused = duplicatesOf(err);
  }
  staged.orders.forEach((o, i) => {
    const id = String(o._id);
    all.add(id);
    if (!refused.has(i)) anonymized.add(id);
  });
  await staging.deleteOne({ _id: ref });
  return result();
}
