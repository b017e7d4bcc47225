import { afterAll, describe, expect, it } from 'vitest';
import type { PrivacyRequest } from '../../src/db/index.js';
import { processRequest } from '../../src/workers/request-worker.js';
import { seedCustomer, workerTestKit } from '../fixtures/requests-kit.js';

/**
 * Two requests of one customer applied at the same moment by two jobs. On MongoDB each update is
 * atomic; FerretDB 1.24 reads and rewrites the whole document, so without the customer's lock
 * (src/requests/lock.ts) the later write brings back the field the other one changed (seen in
 * workers-queue: the new email lost to the unsubscribe's write, 1 run in 12).
 */
const { ctx, service, deps, close } = await workerTestKit({ env: { MAX_REQUESTS_PER_DAY: '100' } });
afterAll(close);

const ask = async (
  customerId: unknown,
  extra: { type: PrivacyRequest['type']; changes?: Record<string, string> },
) =>
  (
    await service.create({
      customerId: String(customerId),
      channel: 'telegram',
      chatId: 'race-1',
      locale: 'id',
      ...extra,
    })
  ).ref;

describe("one customer's requests applied at once", () => {
  it('keep every change: the new email and the withdrawn consent, the restriction too, in 12 rounds', async () => {
    const lost: string[] = [];
    for (let round = 0; round < 12; round++) {
      const c = await seedCustomer(ctx, { marketing: true });
      const email = `baru.${round}@contoh.id`;
      const refs = [
        await ask(c._id, { type: 'update', changes: { email } }),
        await ask(c._id, { type: 'unsubscribe' }),
        await ask(c._id, { type: 'restrict', changes: { action: 'apply', scope: 'marketing' } }),
      ];
      const outcomes = await Promise.all(refs.map((ref) => processRequest(ctx, deps, ref)));
      expect(outcomes).toEqual(['completed', 'completed', 'completed']);
      const after = await ctx.models.Customer.findById(c._id).lean();
      if (after?.email !== email) lost.push(`round ${round}: email`);
      if (after?.marketingConsent?.granted !== false) lost.push(`round ${round}: consent`);
      if (after?.processingRestriction?.scope !== 'marketing') lost.push(`round ${round}: restriction`);
    }
    expect(lost).toEqual([]);
  }, 120_000);
});
