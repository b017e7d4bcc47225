import type { RedisStore } from '../app/context.js';
import type { Models, PrivacyRequest } from '../db/index.js';
import { type LinkStore, linkedCustomer } from '../identity/links.js';
import {
  type BusinessContact,
  contactLine,
  phoneSuppressionHash,
  RequestError,
  type SuppressionSecret,
  type SuppressionStore,
  scrubOtherRequests,
  suppress,
  type TransitionDeps,
  transition,
  withCustomerLock,
} from '../requests/index.js';
import { eraseRedisCopies, type RedisCopiesDeps } from './erase-copies.js';
import { erasureKeeps, type PersonalValues } from './erase-keeps.js';
import { failed, localeOf, type RequestHandler, text } from './outcome.js';
import { type ReduceOrdersDeps, reduceFinishedOrders } from './reduce-orders.js';

/** What replaces a chat id on the requests of an erased customer. */
export const ERASED = '[erased]';

/** Customer fields that are personal data; all are removed. `customerNo` stays: it is our own number. */
// The restriction goes too: its reason is the customer's own words, and nothing is processed after.
const PERSONAL_CUSTOMER_FIELDS = [
  'name',
  'phone',
  'email',
  'address',
  'area',
  'paymentMethod',
  'processingRestriction',
] as const;

const unsetOf = (fields: readonly string[]) => Object.fromEntries(fields.map((f) => [f, 1]));

/**
 * What an erasure is handed: it reaches every store the customer's data is in. The customer, their
 * requests (read, cancelled through `transition`, scrubbed) and promo records; the do-not-market
 * list and its hashes' secret; every copy in Redis; the orders' rewrite; the customer's lock.
 */
export type EraseDeps = TransitionDeps &
  BusinessContact &
  SuppressionSecret &
  SuppressionStore &
  RedisCopiesDeps &
  ReduceOrdersDeps &
  LinkStore &
  RedisStore & { models: Pick<Models, 'Customer' | 'PrivacyRequest' | 'PromoDelivery' | 'PromoMessage'> };

/**
 * Erases a customer as the policy says: personal data goes, obligations stay. Each step is
 * idempotent and the ordering makes a re-run after a crash safe: the customer document, which
 * holds the phone needed for the suppression hash, is anonymized last.
 */
export const eraseCustomer: RequestHandler<EraseDeps> = async (ctx, request, deps) => {
  const { Customer } = ctx.models;
  const locale = localeOf(request);
  const ref = request.ref;
  const at = deps.now();
  if (!request.customerId)
    return failed('NO_CUSTOMER', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);
  const customerId = request.customerId;
  const customer = await Customer.findById(customerId).lean();
  if (!customer) return failed('CUSTOMER_GONE', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);

  // 1. Never market to this number again: only its keyed hash is kept.
  if (customer.phone) {
    await suppress(ctx, {
      hash: phoneSuppressionHash(ctx, customer.phone),
      kind: 'phone',
      reason: 'erased',
      source: `request:${ref}`,
      at,
    });
  }
  await deps.checkpoint?.(ref, 'erase:suppressed');

  // 2. Redis: every copy it holds (sessions, links, queued messages, web chat replies, OTP state,
  // caches), for the customer's chats and for chats holding the phone. Before step 4, which
  // forgets the chats the requests were made from. A stored reply naming this request and quoting
  // nothing of the customer (its acknowledgement, perhaps not read yet) stays (erase-keeps.ts).
  const others = await otherRequestsOf(ctx, request);
  const redis = await eraseRedisCopies(ctx, {
    customerId: String(customerId),
    ...(customer.phone ? { phone: customer.phone } : {}),
    requestChats: await chatsOfRequests(ctx, String(customerId), [request, ...others]),
    keep: erasureKeeps(ref, personalValuesOf(customer, others)),
    outbox: deps.outbox,
  });

  // 3. Finished orders keep what bookkeeping needs: a bulk rewrite, however many orders.
  // A first run (attempts 1) has no staged rewrite to resume.
  const orders = await reduceFinishedOrders(ctx, customerId, ref, at, { resumed: request.attempts !== 1 });
  await deps.checkpoint?.(ref, 'erase:orders');

  // 4. The customer's other requests: those not started are cancelled, all lose chat ids and changes.
  await cancelOtherOpenRequests(ctx, request, others, at);
  // None read, none to scrub: a round trip saved (a request made meanwhile meets an erased customer).
  if (others.length > 0) await scrubOtherRequests(ctx.models, customerId, ref, ERASED);

  // 4b. Which promotions reached the customer, and the chat hashes that matched replies to them:
  // the number is suppressed for good, so neither is needed any more.
  const [deliveries, promoMessages] = await Promise.all([
    ctx.models.PromoDelivery.deleteMany({ customerId }),
    ctx.models.PromoMessage.deleteMany({ customerId }),
  ]);

  // 5. The customer document, last. Guarded by erasedAt so a re-run changes nothing; under the
  // customer's lock, so no other request's whole-document write on FerretDB brings fields back.
  await withCustomerLock(ctx, String(customerId), () =>
    Customer.updateOne(
      { _id: customerId, erasedAt: { $exists: false } },
      {
        $unset: unsetOf(PERSONAL_CUSTOMER_FIELDS),
        $set: {
          erasedAt: at,
          marketingConsent: { granted: false, updatedAt: at, source: `request:${ref}` },
          // Earlier consent proof carried message ids and words; what remains is the withdrawal.
          consentHistory: [{ granted: false, at, source: 'erasure', requestRef: ref }],
        },
      },
    ),
  );

  // The counts come from the rewrite itself (reduce-orders.ts): no count queries afterwards.
  const { anonymized, kept } = orders;
  const audit = {
    actor: 'system:erase-worker',
    action: 'customer.erased',
    ref,
    customerId,
    details: {
      ordersAnonymized: anonymized,
      ordersKept: kept,
      chatsPurged: redis.chats,
      // Every Redis copy reached, by kind (erase-copies.ts).
      redis,
      promoRecordsDeleted: deliveries.deletedCount + promoMessages.deletedCount,
      suppressed: Boolean(customer.phone),
    },
    at,
  };
  return {
    status: 'completed',
    result: { ordersAnonymized: anonymized, ordersKept: kept },
    messages: [text(locale, 'erased', { ref, kept })],
    // The chat id goes too, once the customer has been told.
    set: { chatId: ERASED },
    unset: ['changes'],
    // Written by the runner with the request's closing events.
    audit: [audit],
  };
};

type OtherRequest = Pick<PrivacyRequest, '_id' | 'ref' | 'status' | 'channel' | 'chatId' | 'changes'>;

/** The customer's other requests: one read serves the chat purge, the cancellations and `keep`. */
async function otherRequestsOf(
  ctx: { models: Pick<Models, 'PrivacyRequest'> },
  request: PrivacyRequest,
): Promise<OtherRequest[]> {
  return ctx.models.PrivacyRequest.find(
    { customerId: request.customerId, ref: { $ne: request.ref } },
    { ref: 1, status: 1, channel: 1, chatId: 1, changes: 1 },
  ).lean<OtherRequest[]>();
}

/** What a kept reply must not quote: the customer's fields, and the values their requests asked for. */
function personalValuesOf(
  customer: {
    name?: string | null;
    email?: string | null;
    address?: string | null;
    paymentMethod?: string | null;
    phone?: string | null;
  },
  others: OtherRequest[],
): PersonalValues {
  const asked = others
    .flatMap((o) => Object.values(o.changes ?? {}))
    .filter((v): v is string => typeof v === 'string');
  const fields = [customer.name, customer.email, customer.address, customer.paymentMethod];
  return {
    texts: [...fields.filter((v): v is string => Boolean(v)), ...asked],
    phones: [...(customer.phone ? [customer.phone] : []), ...asked],
  };
}

/**
 * The chats the customer's requests came from, unless another customer has verified in that
 * chat since (a shared phone or family chat): that customer's copies are not ours to erase.
 */
async function chatsOfRequests(
  ctx: LinkStore,
  customerId: string,
  requests: OtherRequest[],
): Promise<{ channel: string; chatId: string }[]> {
  const chats: { channel: string; chatId: string }[] = [];
  for (const r of requests) {
    if (!r.chatId || r.chatId === ERASED) continue;
    const linked = await linkedCustomer(ctx, r.channel, r.chatId);
    if (linked === undefined || linked === customerId) chats.push({ channel: r.channel, chatId: r.chatId });
  }
  return chats;
}

async function cancelOtherOpenRequests(
  ctx: TransitionDeps,
  request: PrivacyRequest,
  others: OtherRequest[],
  at: Date,
): Promise<void> {
  for (const other of others.filter((o) => o.status === 'pending_approval' || o.status === 'queued')) {
    try {
      await transition(ctx, {
        ref: other.ref,
        id: other._id,
        from: other.status,
        to: 'cancelled',
        actor: 'system:erase-worker',
        note: `customer erased by ${request.ref}`,
        at,
      });
    } catch (err) {
      // It moved on meanwhile (a worker took it): it will find the customer erased.
      if (!(err instanceof RequestError)) throw err;
    }
  }
}
