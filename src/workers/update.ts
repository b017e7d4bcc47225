import type { RedisStore } from '../app/context.js';
import type { Models } from '../db/index.js';
import {
  type BusinessContact,
  changedFields,
  contactLine,
  payloadOf,
  withCustomerLock,
} from '../requests/index.js';
import { failed, localeOf, type RequestHandler, text } from './outcome.js';

/** What an update reads and writes: the customer (under its lock in Redis), the business's contact. */
export type UpdateDeps = BusinessContact & RedisStore & { models: Pick<Models, 'Customer'> };

/**
 * Applies a validated change of name, address, email, payment method or phone. A phone already
 * held by someone else gets the same answer as any unusable number, so the reply reveals nothing.
 */
export const applyUpdate: RequestHandler<UpdateDeps> = async (ctx, request, deps) => {
  const { Customer } = ctx.models;
  const locale = localeOf(request);
  const ref = request.ref;
  const parsed = payloadOf({ type: 'update', changes: request.changes });
  if (!parsed.ok || !request.customerId)
    return failed('INVALID_CHANGES', [text(locale, 'invalidChanges', { ref })]);
  const changes = parsed.payload.changes;
  const fields = changedFields(changes);

  const phoneUnavailable = () =>
    failed('PHONE_UNAVAILABLE', [text(locale, 'phoneUnavailable', { ref, contact: contactLine(ctx) })], {
      fields,
    });
  const gone = () => failed('CUSTOMER_GONE', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));

  // A phone change is checked first (and flagged for staff anyway): a number another customer
  // holds gets the non-revealing answer before anything is written.
  if (changes.phone) {
    const current = await Customer.findById(request.customerId, { phone: 1, erasedAt: 1 }).lean();
    if (!current || current.erasedAt) return gone();
    if (changes.phone !== current.phone) {
      const holder = await Customer.exists({ phone: changes.phone, _id: { $ne: current._id } });
      if (holder) return phoneUnavailable();
    }
  }
  let updated: { _id: unknown } | null;
  try {
    // One conditional write: an erased customer (`erasedAt` set) is never written to. Setting
    // the same values again is harmless, so a retried job needs no guard beyond that.
    // Under the customer's lock: FerretDB writes the whole document (requests/lock.ts).
    const customerId = request.customerId;
    // No projection: FerretDB 1.24's findAndModify refuses one ("fields" not implemented).
    updated = await withCustomerLock(ctx, String(customerId), () =>
      Customer.findOneAndUpdate({ _id: customerId, erasedAt: null }, { $set: set }).lean(),
    );
  } catch (err) {
    // The unique phone index answers a race the check above lost.
    if ((err as { code?: unknown }).code === 11000) return phoneUnavailable();
    throw err;
  }
  if (!updated) return gone();
  await deps.checkpoint?.(ref, 'update:applied');

  return {
    status: 'completed',
    result: { fields },
    messages: [text(locale, 'updated', { ref, fields })],
    // The new values now live on the customer; the request keeps only which fields changed.
    unset: ['changes'],
    audit: [
      {
        actor: 'system:update-worker',
        action: 'customer.updated',
        ref,
        customerId: request.customerId,
        details: { fields, ...set },
        at: deps.now(),
      },
    ],
  };
};
