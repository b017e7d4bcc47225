import { randomBytes } from 'node:crypto';
import type { Db, Document, ObjectId, UpdateFilter } from 'mongodb';

/**
 * The database's floor under `request_jobs`: the driver alone doing the MongoDB work an
 * unsubscribe cannot do without, shaped as hakdata runs it. `callers` API calls in flight each
 * read the customer, insert the request and its "created" event, and hand the request on; a
 * `workers`-wide pool claims it (conditional write), changes consent, upserts the suppression,
 * closes it (conditional write) and writes the step events in one insert. Eight commands, no
 * Redis, no BullMQ, no JavaScript of ours: what any implementation on this server pays.
 * The collections are those of a context whose indexes the models built (same unique keys).
 */
/** A `$push` on an untyped collection: the driver's types only allow it on a declared array. */
const step = (update: Record<string, unknown>) => update as UpdateFilter<Document>;

export async function unsubscribeFloor(
  db: Db,
  customers: ObjectId[],
  options: { callers: number; workers: number },
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
      const claimed = await requests.findOneAndUpdate(
        { _id: id, status: 'queued' },
        step({
          $set: { status: 'processing' },
          $push: { history: { at, from: 'queued', to: 'processing' } },
        }),
        { returnDocument: 'after' },
      );
      const ref = String(claimed?.ref);
      const customer = await people.findOneAndUpdate(
        { _id: claimed?.customerId, erasedAt: null },
        { $set: { marketingConsent: { granted: false, updatedAt: at, source: 'floor' } } },
      );
      await suppressions.updateOne(
        { hash: `floor-${String(customer?._id)}` },
        { $setOnInsert: { kind: 'phone', reason: 'opted_out', createdAt: at } },
        { upsert: true },
      );
      await requests.findOneAndUpdate(
        { _id: id, status: 'processing' },
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
      done++;
    }
  };
  await Promise.all([
    ...Array.from({ length: options.callers }, api),
    ...Array.from({ length: options.workers }, worker),
  ]);
  return customers.length / ((performance.now() - started) / 1000);
}
