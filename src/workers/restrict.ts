import type { RedisStore } from '../app/context.js';
import type { Models, ProcessingRestriction } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import { type BusinessContact, contactLine, payloadOf, withCustomerLock } from '../requests/index.js';
import { failed, localeOf, type RequestHandler, text } from './outcome.js';

const ACTOR = 'system:restrict-worker';

/** What a restriction reads and writes: the customer (under its lock in Redis), the contact, a logger. */
export type RestrictionDeps = BusinessContact &
  RedisStore & { models: Pick<Models, 'Customer'>; logger: Logger };

/**
 * Places or lifts a restriction of processing (UU PDP art. 11) on `customers.processingRestriction`.
 * While it holds, promotions skip the customer (promo/eligibility.ts), exports leave them out
 * except their own access package, and staff see a badge. The customer's reason is kept on the
 * customer only; the audit trail records that one was given and how long, never its words.
 */
export const applyRestriction: RequestHandler<RestrictionDeps> = async (ctx, request, deps) => {
  const { Customer } = ctx.models;
  const locale = localeOf(request);
  const ref = request.ref;
  const gone = () => failed('CUSTOMER_GONE', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);
  const parsed = payloadOf({ type: 'restrict', changes: request.changes });
  if (!parsed.ok || !request.customerId) {
    ctx.logger.warn(
      { ref, component: 'restrict-worker' },
      'restriction request without valid changes; failed',
    );
    return failed('INVALID_CHANGES', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);
  }
  const changes = parsed.payload.changes;

  if (changes.action === 'apply') {
    // `since` is when the request was first claimed: a re-run after a crash writes the same value.
    const since = request.history.find((h) => h.to === 'processing')?.at ?? deps.now();
    const restriction: ProcessingRestriction = {
      scope: changes.scope,
      since,
      ...(changes.reason ? { reason: changes.reason } : {}),
    };
    const before = await withCustomerLock(
      ctx,
      String(request.customerId),
      () =>
        Customer.findOneAndUpdate(
          { _id: request.customerId, erasedAt: null },
          { $set: { processingRestriction: restriction } },
        ).lean(), // The document before the write: says what scope, if any, it replaced.
    );
    if (!before) return gone();
    return {
      status: 'completed',
      result: { action: 'apply', scope: changes.scope, since: since.toISOString() },
      messages: [text(locale, 'restricted', { ref, scope: changes.scope })],
      audit: [
        {
          actor: ACTOR,
          action: 'restriction.applied',
          ref,
          customerId: request.customerId,
          details: {
            scope: changes.scope,
            previousScope: before.processingRestriction?.scope ?? null,
            reasonGiven: Boolean(changes.reason),
            reasonLength: changes.reason?.length ?? 0,
          },
          at: deps.now(),
        },
      ],
    };
  }

  // Lift. The document before the write says whether there was a restriction to lift. (A re-run
  // after a crash between this write and the closing status finds none and says so; the audit
  // event of the first run is keyed by the ref and the customer's message by its dedupe key.)
  const before = await withCustomerLock(ctx, String(request.customerId), () =>
    Customer.findOneAndUpdate(
      { _id: request.customerId, erasedAt: null },
      { $unset: { processingRestriction: 1 } },
    ).lean(),
  );
  if (!before) return gone();
  const held = before.processingRestriction;
  const byStaff = Boolean(changes.staffReason);
  if (!held?.scope) {
    ctx.logger.info(
      { ref, component: 'restrict-worker' },
      'lift asked with no restriction in place; nothing to do',
    );
    return {
      status: 'completed',
      result: { action: 'lift', lifted: false },
      messages: [text(locale, 'notRestricted', { ref })],
    };
  }
  return {
    status: 'completed',
    result: { action: 'lift', lifted: true, scope: held.scope, by: byStaff ? 'staff' : 'customer' },
    messages: [
      changes.staffReason
        ? text(locale, 'restrictionLiftedByStaff', {
            ref,
            reason: changes.staffReason,
            contact: contactLine(ctx),
          })
        : text(locale, 'restrictionLifted', { ref }),
    ],
    audit: [
      {
        actor: ACTOR,
        action: 'restriction.lifted',
        ref,
        customerId: request.customerId,
        details: {
          scope: held.scope,
          since: held.since,
          by: byStaff ? 'staff' : 'customer',
          staffReasonLength: changes.staffReason?.length ?? 0,
        },
        at: deps.now(),
      },
    ],
  };
};
