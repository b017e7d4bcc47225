import { recordAudit } from '../audit/record.js';
import { changedFields, updateChangesSchema } from '../requests/changes.js';
import { contactLine } from '../requests/service.js';
import { failed, localeOf, type RequestHandler, text } from './outcome.js';

/**
 * Applies a validated change of name, address, email, payment method or phone. A phone already
 * held by someone else gets the same answer as any unusable number, so the reply reveals nothing.
 */
export const applyUpdate: RequestHandler = async (ctx, request, deps) => {
  const { Customer } = ctx.models;
  const locale = localeOf(request);
  const ref = request.ref;
  const parsed = updateChangesSchema.safeParse(request.changes ?? {});
  if (!parsed.success || !request.customerId)
    return failed('INVALID_CHANGES', [text(locale, 'invalidChanges', { ref })]);
  const changes = parsed.data;
  const fields = changedFields(changes);

  const customer = await Customer.findOne({ _id: request.customerId, erasedAt: { $exists: false } }).lean();
  if (!customer) return failed('CUSTOMER_GONE', [text(locale, 'failed', { ref, contact: contactLine(ctx) })]);

  const phoneUnavailable = () =>
    failed('PHONE_UNAVAILABLE', [text(locale, 'phoneUnavailable', { ref, contact: contactLine(ctx) })], {
      fields,
    });
  if (changes.phone && changes.phone !== customer.phone) {
    const holder = await Customer.exists({ phone: changes.phone, _id: { $ne: customer._id } });
    if (holder) return phoneUnavailable();
  }

  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  try {
    // Setting the same values again is harmless, so a retried job needs no guard here.
    await Customer.updateOne({ _id: customer._id, erasedAt: { $exists: false } }, { $set: set });
  } catch (err) {
    if ((err as { code?: unknown }).code === 11000) return phoneUnavailable();
    throw err;
  }
  await deps.checkpoint?.(ref, 'update:applied');

  await recordAudit(ctx, {
    actor: 'system:update-worker',
    action: 'customer.updated',
    ref,
    customerId: customer._id,
    details: { fields, ...set },
    at: deps.now(),
  });
  return {
    status: 'completed',
    result: { fields },
    messages: [text(locale, 'updated', { ref, fields })],
    // The new values now live on the customer; the request keeps only which fields changed.
    unset: ['changes'],
  };
};
