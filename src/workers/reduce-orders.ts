import { gunzipSync, gzipSync } from 'node:zlib';
import { type AnyBulkWriteOperation, Binary, BSON, type ObjectId } from 'mongodb';
import type { Types } from 'mongoose';
import type { AppContext } from '../app/context.js';
import { bulkWriteInChunks, type Models } from '../db/index.js';

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
/** Up to this many finished orders are rewritten in place, in one bulk write (chunked on FerretDB), unstaged. */
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
/**
 * One document per erasure, the reduced orders as one gzipped BSON value (types kept): 10,000 of them
 * are about 3 MB as documents, a few hundred KB packed, and FerretDB writes, reads and deletes a
 * document in time proportional to its size (3 MB: over a second for the pair).
 */
interface StagedErasure {
  _id: string;
  /** Newest updatedAt among the originals when they were read: only older ones are replaced. */
  readUntil: Date;
  count: number;
  packed: Binary;
}

const pack = (orders: Record<string, unknown>[]) => new Binary(gzipSync(BSON.serialize({ orders })));
const unpack = (staged: StagedErasure) =>
  BSON.deserialize(gunzipSync(staged.packed.buffer)).orders as Record<string, unknown>[];

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

/** What the rewrite is handed: the MongoDB connection (staging, bulk writes) and the orders' model. */
export interface ReduceOrdersDeps extends Pick<AppContext, 'mongo'> {
  models: Pick<Models, 'ServiceOrder'>;
}

/**
 * Reduces a customer's finished orders to their bookkeeping fields, in bulk, and says how many
 * orders are reduced and how many kept (no count queries afterwards).
 *
 * A few (up to IN_PLACE_MAX) are replaced in place: one bulk write of guarded replaceOne's,
 * each atomic, so a re-run simply finds those still whole (in chunks on FerretDB, which on
 * PostgreSQL locks up on a write of more matching statements than its connection pool).
 * More are rewritten rather than updated: FerretDB 1.24 (SQLite) runs `updateMany` one document
 * at a time with a full scan each (10,000 orders: about an hour), while find, delete and insert
 * are linear. Crash-safe: reduced copies go to a staging collection first (keyed by the erase
 * ref), then one deleteMany and one insertMany; a re-run (`resumed`) reads the staging first
 * and finishes the same rewrite, losing nothing. An order changed after it was read (e.g. an
 * open job completed meanwhile) is newer than `readUntil`, is not deleted or replaced, and is
 * reduced by a later erase.
 */
export async function reduceFinishedOrders(
  ctx: ReduceOrdersDeps,
  customerId: Types.ObjectId,
  ref: string,
  at: Date,
  options: {
    /** Not the first run of this erase: a staged rewrite may be waiting (the default, to be safe). */
    resumed?: boolean;
    /** Called after each step of a staged rewrite (`staged`, `deleted`): the crash tests stop here. */
    checkpoint?: (step: 'staged' | 'deleted') => Promise<void>;
  } = {},
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
    const replaces = finished.map(
      (o): AnyBulkWriteOperation => ({
        replaceOne: {
          // Unchanged since read: the same updatedAt (or still none).
          filter: { _id: o._id as ObjectId, anonymizedAt: null, updatedAt: o.updatedAt ?? null },
          replacement: Object.fromEntries(Object.entries(reduce(o, at)).filter(([k]) => k !== '_id')),
        },
      }),
    );
    const written = await bulkWriteInChunks(ctx.mongo, replaces, (chunk) =>
      orders.bulkWrite(chunk, { ordered: false }),
    );
    // Those not matched changed meanwhile and stay whole.
    const reduced = anonymized.size + written.matchedCount;
    return { anonymized: reduced, kept: all.size - reduced };
  }
  let reduced: Record<string, unknown>[];
  if (staged) reduced = unpack(staged);
  else {
    reduced = finished.map((o) => reduce(o, at));
    staged = {
      _id: ref,
      readUntil: new Date(Math.max(...finished.map((o) => o.updatedAt?.getTime() ?? 0))),
      count: reduced.length,
      packed: pack(reduced),
    };
    try {
      await staging.insertOne(staged);
    } catch (err) {
      duplicatesOf(err);
      // Another run staged first: its copy is the one to finish.
      const theirs = await staging.findOne({ _id: ref });
      if (theirs) {
        staged = theirs;
        reduced = unpack(theirs);
      }
    }
  }
  await options.checkpoint?.('staged');
  // One delete for every staged original still unchanged (`$not: {$gt}` also matches orders
  // written without timestamps); open and unpaid orders are never matched.
  await orders.deleteMany({
    customerId,
    anonymizedAt: null,
    updatedAt: { $not: { $gt: staged.readUntil } },
    $nor: UNFINISHED,
  });
  await options.checkpoint?.('deleted');
  let refused = new Set<number>();
  try {
    await orders.insertMany(reduced, { ordered: false });
  } catch (err) {
    // Inserted by an earlier run, or the original changed meanwhile and was not deleted.
    refused = duplicatesOf(err);
  }
  reduced.forEach((o, i) => {
    const id = String(o._id);
    all.add(id);
    if (!refused.has(i)) anonymized.add(id);
  });
  await staging.deleteOne({ _id: ref });
  return result();
}
