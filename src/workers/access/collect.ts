import { Types } from 'mongoose';
import type { ConsentEvent, Customer, Models, PrivacyRequest, ServiceOrder } from '../../db/index.js';
import { AccessPackageError } from './errors.js';
import { THIRD_PARTY_RECIPIENTS, type ThirdPartyRecipient } from './third-parties.js';

/** The customer's own fields, as read (personal ones absent once erased). */
export type ProfileRecord = Pick<
  Customer,
  | 'customerNo'
  | 'name'
  | 'phone'
  | 'email'
  | 'address'
  | 'area'
  | 'paymentMethod'
  | 'marketingConsent'
  | 'consentHistory'
  | 'erasedAt'
  | 'processingRestriction'
  | 'createdAt'
  | 'updatedAt'
>;

export type OrderRecord = Pick<
  ServiceOrder,
  | 'orderNo'
  | 'service'
  | 'status'
  | 'scheduledAt'
  | 'completedAt'
  | 'address'
  | 'amount'
  | 'paymentStatus'
  | 'paymentMethod'
  | 'notes'
  | 'anonymizedAt'
  | 'createdAt'
>;

/** A privacy request without the fields only hakdata needs (attempts, reminders, result, staff ids). */
export type RequestRecord = Pick<
  PrivacyRequest,
  | 'ref'
  | 'type'
  | 'status'
  | 'channel'
  | 'chatId'
  | 'changes'
  | 'flags'
  | 'decision'
  | 'dueAt'
  | 'history'
  | 'createdAt'
>;

/** What the collection reads: the customer, their orders and their requests (never writes them). */
export interface CollectDeps {
  models: Pick<Models, 'Customer' | 'ServiceOrder' | 'PrivacyRequest'>;
}

export interface CollectedData {
  profile: ProfileRecord;
  orders: OrderRecord[];
  requests: RequestRecord[];
  thirdParties: readonly ThirdPartyRecipient[];
}

const PERSONAL_PROFILE_FIELDS = ['name', 'phone', 'email', 'address', 'area', 'paymentMethod'] as const;
const PERSONAL_ORDER_FIELDS = ['address', 'paymentMethod', 'notes'] as const;

const projectionOf = (fields: readonly string[], without: readonly string[] = []) =>
  Object.fromEntries([...fields.filter((f) => !without.includes(f)).map((f) => [f, 1]), ['_id', 0]]);

const PROFILE_FIELDS = [
  'customerNo',
  ...PERSONAL_PROFILE_FIELDS,
  'marketingConsent',
  'consentHistory',
  'erasedAt',
  'processingRestriction',
  'createdAt',
  'updatedAt',
];
const ORDER_FIELDS = [
  'orderNo',
  'service',
  'status',
  'scheduledAt',
  'completedAt',
  ...PERSONAL_ORDER_FIELDS,
  'amount',
  'paymentStatus',
  'anonymizedAt',
  'createdAt',
];
const REQUEST_FIELDS = [
  'ref',
  'type',
  'status',
  'channel',
  'chatId',
  'changes',
  'flags',
  'decision',
  'dueAt',
  'history',
  'createdAt',
];

/**
 * Everything hakdata holds about one customer (policy §4, "Mengakses Data"). Reads are lean and
 * projected: a customer with thousands of orders costs one query per collection, no documents.
 *
 * `refuseErased`: an erased customer gets no package at all (an access request that raced an
 * erasure); otherwise an erased customer's package must hold no personal value, even one an erasure left behind
 * (an open order keeps its address until the job is done): orders and requests are read without
 * those fields, and the profile's are dropped before anything else sees them.
 */
export async function collectCustomerData(
  ctx: CollectDeps,
  customerId: string,
  options: { refuseErased?: boolean } = {},
): Promise<CollectedData> {
  if (!/^[0-9a-f]{24}$/i.test(customerId))
    throw new AccessPackageError('INVALID_CUSTOMER_ID', `"${customerId}" is not a customer id.`);
  const _id = new Types.ObjectId(customerId);
  const { Customer, ServiceOrder, PrivacyRequest } = ctx.models;

  const profile = await Customer.findById(_id, projectionOf(PROFILE_FIELDS)).lean<ProfileRecord>();
  if (!profile) throw new AccessPackageError('CUSTOMER_NOT_FOUND', `No customer with id ${customerId}.`);
  const erased = Boolean(profile.erasedAt);
  // The access worker asks this: its own read of the customer would be a second round trip.
  if (erased && options.refuseErased)
    throw new AccessPackageError('CUSTOMER_ERASED', `Customer ${customerId} has been erased.`);

  const [orders, requests] = await Promise.all([
    ServiceOrder.find({ customerId: _id }, projectionOf(ORDER_FIELDS, erased ? PERSONAL_ORDER_FIELDS : []))
      .sort({ scheduledAt: 1, orderNo: 1 })
      .lean<OrderRecord[]>(),
    PrivacyRequest.find(
      { customerId: _id },
      projectionOf(REQUEST_FIELDS, erased ? ['chatId', 'changes'] : []),
    )
      .sort({ createdAt: 1, ref: 1 })
      .lean<RequestRecord[]>(),
  ]);

  return {
    profile: erased ? withoutPersonalProfile(profile) : profile,
    orders,
    requests,
    thirdParties: THIRD_PARTY_RECIPIENTS,
  };
}

/** Consent proof keeps when and how; message ids can embed a phone number (WhatsApp), so they go. */
function withoutPersonalProfile(profile: ProfileRecord): ProfileRecord {
  const kept: ProfileRecord = { ...profile };
  for (const field of PERSONAL_PROFILE_FIELDS) delete kept[field];
  kept.consentHistory = (profile.consentHistory ?? []).map(
    ({ messageId: _messageId, words: _words, ...event }): ConsentEvent => event,
  );
  return kept;
}
