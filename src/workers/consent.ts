import type { AppContext, RedisStore } from '../app/context.js';
import { type ConsentEvent, type Models, type PrivacyRequest, serverShape } from '../db/index.js';
import {
  type BusinessContact,
  type ConsentChanges,
  chatSuppressionHash,
  contactLine,
  liftOptOut,
  payloadOf,
  phoneSuppressionHash,
  type SuppressionSecret,
  type SuppressionStore,
  suppress,
  withCustomerLock,
} from '../requests/index.js';
import { failed, localeOf, type RequestHandler, text } from './outcome.js';

/** The stored proof, read through the payload union; a malformed one counts as no proof (menu). */
const proofOf = (request: Pick<PrivacyRequest, 'type' | 'changes'>): ConsentChanges => {
  const parsed = payloadOf({ type: request.type as 'unsubscribe' | 'subscribe', changes: request.changes });
  return parsed.ok ? (parsed.payload.changes ?? {}) : {};
};

/**
 * What a change of consent reads and writes: the customer (under its lock in Redis; how to write
 * depends on the server's shape), the do-not-market list and its hashes' secret, the contact.
 */
export type ConsentDeps = BusinessContact &
  SuppressionSecret &
  SuppressionStore &
  RedisStore &
  Pick<AppContext, 'mongo'> & { models: Pick<Models, 'Customer'> };

/**
 * Marketing consent off (unsubscribe) or on (subscribe), with the proof UU PDP asks for: when,
 * through which channel, in which words, in reply to which promotion, under which request.
 */
export const applyConsent: RequestHandler<ConsentDeps> = async (ctx, request, deps) => {
  const granted = request.type === 'subscribe';
  const locale = localeOf(request);
  const ref = request.ref;
  const at = deps.now();
  const proof = proofOf(request);
  const how = proof.promoId ? 'promo-reply' : proof.words ? 'keyword' : 'menu';
  const source = `${request.channel}:${how}`;
  // A chat that asked (STOP, LANGGANAN, the menu) had its confirmation from the conversation at once.
  const toldInChat = proof.toldInChat === true;
  const done = {
    status: 'completed' as const,
    messages: toldInChat ? [] : [text(locale, granted ? 'subscribed' : 'unsubscribed', { ref })],
  };

  if (!request.customerId) {
    // A proven sender who is not a customer: only the chat can be suppressed.
    if (granted) return failed('NO_CUSTOMER', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);
    const hash = chatSuppressionHash(ctx, request.channel, request.chatId);
    await suppress(ctx, { hash, kind: 'chat', reason: 'opted_out', source: `request:${ref}`, at });
    return {
      ...done,
      result: { granted, scope: 'chat' },
      audit: [
        {
          actor: 'system:consent-worker',
          action: 'consent.changed',
          ref,
          details: { granted, scope: 'chat', source, promoId: proof.promoId },
          at,
        },
      ],
    };
  }

  const event: ConsentEvent = {
    granted,
    at,
    source,
    channel: request.channel,
    requestRef: ref,
    ...(proof.words ? { words: proof.words.slice(0, 200) } : {}),
    ...(proof.messageId ? { messageId: proof.messageId } : {}),
    ...(proof.promoId ? { promoId: proof.promoId } : {}),
  };
  const { Customer } = ctx.models;
  const { idOnlyLookups } = await serverShape(ctx.mongo);
  const write = {
    $set: { marketingConsent: { granted, updatedAt: at, source } },
    $push: { consentHistory: event },
  };
  // The history entry carries the ref: a retried job finds it and writes nothing twice. Under the
  // customer's lock either way (db writes of one customer never race: requests/lock.ts).
  const customer = await withCustomerLock(ctx, String(request.customerId), async () => {
    if (idOnlyLookups) {
      // FerretDB: only `{_id}` alone is cheap (db/server-shape.ts): read, check, write by it.
      const found = await Customer.findById(request.customerId, {
        phone: 1,
        erasedAt: 1,
        'consentHistory.requestRef': 1,
      }).lean();
      if (found && !found.erasedAt && !found.consentHistory?.some((h) => h.requestRef === ref))
        await Customer.updateOne({ _id: found._id }, write);
      return found;
    }
    // MongoDB: one conditional write, which hands back the phone; only when it is refused (erased,
    // gone, or applied by an earlier run) is the customer read, to say which. `$nor`, not `$ne`,
    // on the array path: FerretDB matches `$ne`/`$nin` there when any element differs.
    const changed = await Customer.findOneAndUpdate(
      { _id: request.customerId, erasedAt: null, $nor: [{ 'consentHistory.requestRef': ref }] },
      write,
    ).lean(); // No projection: FerretDB 1.24's findAndModify refuses one ("fields" not implemented).
    return changed ?? (await Customer.findById(request.customerId, { phone: 1, erasedAt: 1 }).lean());
  });
  if (!customer || customer.erasedAt) {
    // An erased customer already receives no marketing; there is nothing left to opt in.
    if (granted) return failed('CUSTOMER_GONE', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);
    return { ...done, result: { granted, scope: 'customer', alreadyErased: true } };
  }
  await deps.checkpoint?.(ref, 'consent:applied');
  if (customer.phone) {
    const hash = phoneSuppressionHash(ctx, customer.phone);
    if (granted) await liftOptOut(ctx, hash);
    else await suppress(ctx, { hash, kind: 'phone', reason: 'opted_out', source: `request:${ref}`, at });
  }
  return {
    ...done,
    result: { granted, scope: 'customer' },
    audit: [
      {
        actor: 'system:consent-worker',
        action: 'consent.changed',
        ref,
        customerId: customer._id,
        details: { granted, scope: 'customer', source, promoId: proof.promoId },
        at,
      },
    ],
  };
};
