import { isValidObjectId, Types } from 'mongoose';
import type { Models, PrivacyRequest } from '../db/index.js';
import { type CreatedRequest, RequestError, type RequestService } from './api.js';
import { STAFF_LIFT_REASON_MAX } from './restriction.js';

/** What a lift reads: the customer's restriction and the request that asked for it. */
export interface RestrictionLiftDeps {
  models: Pick<Models, 'Customer' | 'PrivacyRequest'>;
}

/**
 * Staff lift a customer's restriction of processing (UU PDP art. 11): only with a reason, which
 * the customer is told in the chat they asked for the restriction from. It is a `restrict`
 * request like the customer's own (lifecycle, deadline, audit: `request.created` names the staff
 * member), applied by the same worker.
 */
export async function liftRestrictionByStaff(
  ctx: RestrictionLiftDeps,
  requests: Pick<RequestService, 'create'>,
  input: { customerId: string; staff: string; reason: string },
): Promise<CreatedRequest> {
  const reason = input.reason.replace(/\s+/g, ' ').trim();
  if (reason.length < 3 || reason.length > STAFF_LIFT_REASON_MAX)
    throw new RequestError(
      'INVALID_INPUT',
      `Lifting a restriction needs a reason for the customer (3 to ${STAFF_LIFT_REASON_MAX} characters).`,
    );
  if (!isValidObjectId(input.customerId)) throw new RequestError('NOT_FOUND', 'No such customer.');
  const customerId = new Types.ObjectId(input.customerId);
  const customer = await ctx.models.Customer.findById(customerId, {
    processingRestriction: 1,
    erasedAt: 1,
  }).lean();
  if (!customer || customer.erasedAt) throw new RequestError('NOT_FOUND', 'No such customer.');
  if (!customer.processingRestriction?.scope)
    throw new RequestError('CONFLICT', 'This customer has no restriction of processing to lift.');
  // The chat the restriction was asked from: where the customer expects to hear about it.
  const [asked] = await ctx.models.PrivacyRequest.find({ customerId, type: 'restrict' })
    .sort({ createdAt: -1 })
    .limit(1)
    .lean<PrivacyRequest[]>();
  if (!asked) throw new RequestError('CONFLICT', 'No restriction request of this customer to answer in.');
  return requests.create({
    type: 'restrict',
    customerId: input.customerId,
    channel: asked.channel,
    chatId: asked.chatId,
    locale: asked.locale === 'en' ? 'en' : 'id',
    changes: { action: 'lift', staffReason: reason },
    actor: input.staff,
  });
}
