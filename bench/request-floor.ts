import { randomBytes } from 'node:crypto';
import type { Db, Document, ObjectId, UpdateFilter } from 'mongodb';

/**
 * The database's floor under `request_jobs`: the driver alone doing the MongoDB work an
 * unsubscribe cannot do without, shaped as hakdata runs it. `callers` API calls in flight each
 * read the customer, insert the request and its "created" event, and hand the request on; a
 * `workers`-wide pool claims it, changes consent, upserts the suppression, closes it and writes
 * the step events in one insert, then clears the close's mark. In the form hakdata uses on the
 * server (db/server-shape.ts): conditional writes on MongoDB (8 commands), a read then a write by
 * `_id` on FerretDB (11). No Redis, no BullMQ, no JavaScript of ours: what any implementation on
 * this server pays for the same steps.
 * The collections are those of a context whose indexes the models built (same unique keys).
 */
/** A `$push` on an untyped collection: the driver's types only allow it on a declared array. */
const step = (update: Record<string, unknown>) => update as UpdateFilter<Document>;

export async function unsubscribeFloor(
  db: Db,
  customers: ObjectId[],
  options: { callers: number; workers: number; idOnlyLookups: boolean },
): Promise<number> {
  const requests = db.collection('privacyrequests');
  const audit = db.collection('auditevents');
  const people = db.collection('customers');
  const suppressions = db.collection('suppressions');
  const handed: ObjectId[] = [];
  let created = 0;
  let done = 0;
  let wake: (() => void) | undefined;
  const started = performance.now();

  const api = async () => {
    while (created < customers.length) {
      const customerId = customers[created++] as ObjectId;
      const ref = `PR-${randomBytes(4).toString('hex')}`;
      const at = new Date();
      await people.findOne({ _id: customerId }, { projection: { phone: 1, erasedAt: 1 } });
      const { insertedId } = await requests.insertOne({
        ref,
        type: 'unsubscribe',
        customerId,
        status: 'queued',
        history: [{ at, from: null, to: 'queued', actor: 'customer' }],
        createdAt: at,
        updatedAt: at,
      });
      await audit.insertOne({
        at,
        actor: 'customer',
        action: 'request.created',
        idempotencyKey: `${ref}:>queued`,
      });
      handed.push(insertedId);
      wake?.();
    }
  };
  const worker = async () => {
    while (done < customers.length) {
      const id = handed.shift();
      if (!id) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 5);
        });
        continue;
      }
      const at = new Date();
      const { idOnlyLookups } = options;
      // A read, then a write by `_id` (FerretDB); or one conditional write (MongoDB).
      if (idOnlyLookups && (await requests.findOne({ _id: id }))?.status !== 'queued')
        throw new Error('not queued');
      const claimed = await requests.findOneAndUpdate(
        idOnlyLookups ? { _id: id } : { _id: id, status: 'queued' },
        step({
          $set: { status: 'processing' },
          $push: { history: { at, from: 'queued', to: 'processing' } },
        }),
        { returnDocument: 'after' },
      );
      const ref = String(claimed?.ref);
      if (idOnlyLookups && (await people.findOne({ _id: claimed?.customerId }))?.erasedAt)
        throw new Error('erased');
      const customer = await people.findOneAndUpdate(
        idOnlyLookups ? { _id: claimed?.customerId } : { _id: claimed?.customerId, erasedAt: null },
        { $set: { marketingConsent: { granted: false, updatedAt: at, source: 'floor' } } },
      );
      await suppressions.updateOne(
        { hash: `floor-${String(customer?._id)}` },
        { $setOnInsert: { kind: 'phone', reason: 'opted_out', createdAt: at } },
        { upsert: true },
      );
      if (idOnlyLookups && (await requests.findOne({ _id: id }))?.status !== 'processing')
        throw new Error('moved');
      await requests.findOneAndUpdate(
        idOnlyLookups ? { _id: id } : { _id: id, status: 'processing' },
        step({
          $set: { status: 'completed', auditPending: true },
          $push: { history: { at, from: 'processing', to: 'completed' } },
        }),
        { returnDocument: 'after' },
      );
      await audit.insertMany(
        ['queued>processing', 'consent', 'processing>completed'].map((step) => ({
          at,
          actor: 'floor',
          action: step,
          idempotencyKey: `${ref}:${step}`,
        })),
        { ordered: false },
      );
      await requests.updateOne({ _id: id }, { $unset: { auditPending: 1 } });
      done++;
    }
  };
  await Promise.all([
    ...Array.from({ length: options.callers }, api),
    ...Array.from({ length: options.workers }, worker),
  ]);
  return customers.length / ((performance.now() - started) / 1000);
}
