import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivacyRequest } from '../../src/db/index.js';
import { freePort } from '../../src/services/processes.js';
import type { HandlerDeps } from '../../src/workers/outcome.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { seedCustomer, workerTestKit } from '../fixtures/requests-kit.js';

/**
 * A job's last attempt that meets MongoDB gone (what the outage test's jobs meet while the driver
 * cannot reach the server) used to close the request as failed and tell the customer so, although
 * the request itself was fine and MongoDB came back. It must stay open and untold, for the
 * reconciler to queue again; a request whose own step fails is still closed as failed.
 */
const { ctx, outbox, service, close } = await workerTestKit();
let unreachable: Error;

beforeAll(async () => {
  // The driver's own error for a server it cannot reach: a port where nothing listens.
  const nowhere = new MongoClient(`mongodb://127.0.0.1:${await freePort()}/x`, {
    serverSelectionTimeoutMS: 200,
  });
  unreachable = await nowhere
    .db()
    .command({ ping: 1 })
    .then(
      () => new Error('a server answered where none listens'),
      (err: Error) => err,
    );
  await nowhere.close();
});
afterAll(close);

const unsubscribe = async (chatId: string) => {
  const c = await seedCustomer(ctx);
  return (
    await service.create({
      type: 'unsubscribe',
      customerId: String(c._id),
      channel: 'telegram',
      chatId,
      locale: 'id',
      proof: { words: 'stop' },
    })
  ).ref;
};
const statusOf = async (ref: string) =>
  (await ctx.models.PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>())?.status;
const failingWith =
  (err: Error): HandlerDeps['checkpoint'] =>
  async () => {
    throw err;
  };

describe("a request's last attempt", () => {
  it('leaves the request open and the customer untold when MongoDB cannot be reached', async () => {
    expect(unreachable.name).toBe('MongoServerSelectionError');
    const ref = await unsubscribe('final-1');
    const deps: HandlerDeps = { outbox, now: () => new Date(), checkpoint: failingWith(unreachable) };
    await expect(processRequest(ctx, deps, ref, { finalAttempt: true })).rejects.toBe(unreachable);
    expect(await statusOf(ref)).toBe('processing');
    expect(outbox.textsTo('final-1')).toEqual([]);

    // The reconciler's new job, MongoDB back: completed, and the customer told that, once.
    expect(await processRequest(ctx, { outbox, now: () => new Date() }, ref, { finalAttempt: false })).toBe(
      'completed',
    );
    expect(await statusOf(ref)).toBe('completed');
    expect(outbox.textsTo('final-1')).toHaveLength(1);
    expect(outbox.textsTo('final-1')[0]).not.toContain('belum dapat kami selesaikan');
  });

  it('still closes the request as failed when its own step fails', async () => {
    const ref = await unsubscribe('final-2');
    const deps: HandlerDeps = {
      outbox,
      now: () => new Date(),
      checkpoint: failingWith(new Error('the handler broke')),
    };
    expect(await processRequest(ctx, deps, ref, { finalAttempt: true })).toBe('failed');
    expect(await statusOf(ref)).toBe('failed');
    expect(outbox.textsTo('final-2')).toEqual([expect.stringContaining('belum dapat kami selesaikan')]);
  });
});
