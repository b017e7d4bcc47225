import { z } from 'zod';
import { type Locale, localeSchema } from '../../catalogue/index.js';
import {
  ORDER_STATUSES,
  PAYMENT_STATUSES,
  REQUEST_STATUSES,
  REQUEST_TYPES,
  RESTRICTION_SCOPES,
} from '../../db/index.js';
import type { CollectedData, RequestRecord } from './collect.js';

/**
 * `data-saya.json`: the customer's data in a form another service can read (data portability,
 * UU PDP art. 13). The schema is the contract: bump `schemaVersion` on any breaking change.
 */

export const ACCESS_PACKAGE_SCHEMA_VERSION = 1;
export const ACCESS_PACKAGE_JSON_NAME = 'data-saya.json';

const isoDate = z.iso.datetime();
const text = z.string();

const profileSchema = z.strictObject({
  customerNo: text,
  name: text.nullable(),
  phone: text.nullable(),
  email: text.nullable(),
  address: text.nullable(),
  area: text.nullable(),
  paymentMethod: text.nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
  erased: z.boolean(),
  erasedAt: isoDate.nullable(),
});

const orderSchema = z.strictObject({
  orderNo: text,
  service: text,
  status: z.enum(ORDER_STATUSES),
  scheduledAt: isoDate,
  completedAt: isoDate.nullable(),
  address: text.nullable(),
  /** Whole rupiah. */
  amount: z.number().int().nonnegative(),
  paymentStatus: z.enum(PAYMENT_STATUSES),
  paymentMethod: text.nullable(),
  notes: text.nullable(),
  /** Set when the order was reduced to what obligations need, after an erasure. */
  anonymizedAt: isoDate.nullable(),
  createdAt: isoDate,
});

const consentEventSchema = z.strictObject({
  granted: z.boolean(),
  at: isoDate,
  source: text,
  channel: text.nullable(),
  words: text.nullable(),
  messageId: text.nullable(),
  promoId: text.nullable(),
  requestRef: text.nullable(),
});

const requestSchema = z.strictObject({
  ref: text,
  type: z.enum(REQUEST_TYPES),
  status: z.enum(REQUEST_STATUSES),
  channel: text,
  chatId: text.nullable(),
  createdAt: isoDate,
  dueAt: isoDate,
  completedAt: isoDate.nullable(),
  changedFields: z.array(text),
  changes: z.record(text, text).nullable(),
  flags: z.array(z.strictObject({ code: text, reason: text })),
  decision: z
    .strictObject({
      outcome: z.enum(['approved', 'rejected']),
      at: isoDate.nullable(),
      reason: text.nullable(),
    })
    .nullable(),
  history: z.array(
    z.strictObject({
      at: isoDate,
      from: z.enum(REQUEST_STATUSES).nullable(),
      to: z.enum(REQUEST_STATUSES),
      by: z.enum(['customer', 'staff', 'system']),
    }),
  ),
});

const thirdPartySchema = z.strictObject({
  id: text,
  policySection: text,
  name: text,
  purpose: text,
  dataShared: text,
  fields: z.array(text),
});

const counted = <T extends z.ZodType>(item: T) =>
  z
    .strictObject({ count: z.number().int().nonnegative(), items: z.array(item) })
    .refine((s) => s.count === s.items.length, { message: 'count must equal the number of items' });

export const accessPackageSchema = z.strictObject({
  schemaVersion: z.literal(ACCESS_PACKAGE_SCHEMA_VERSION),
  kind: z.literal('hakdata/access-package'),
  generatedAt: isoDate,
  locale: localeSchema,
  /** The access request this package answers, when built for one. */
  requestRef: text.nullable(),
  business: z.strictObject({ name: text.min(1), phone: text, email: text, website: text }),
  sections: z.strictObject({
    profile: profileSchema,
    orders: z
      .strictObject({
        currency: z.literal('IDR'),
        count: z.number().int().nonnegative(),
        items: z.array(orderSchema),
      })
      .refine((s) => s.count === s.items.length, { message: 'count must equal the number of items' }),
    marketingConsent: z.strictObject({
      granted: z.boolean(),
      updatedAt: isoDate,
      source: text,
      history: z.array(consentEventSchema),
    }),
    privacyRequests: counted(requestSchema),
    /** UU PDP art. 11: whether processing is restricted at the customer's request, since when, and why. */
    processingRestriction: z.strictObject({
      restricted: z.boolean(),
      scope: z.enum(RESTRICTION_SCOPES).nullable(),
      since: isoDate.nullable(),
      reason: text.nullable(),
    }),
    thirdParties: z.strictObject({ policySection: z.literal('5'), items: z.array(thirdPartySchema) }),
  }),
});

export type AccessPackage = z.output<typeof accessPackageSchema>;
export type AccessPackageOrder = z.output<typeof orderSchema>;
export type AccessPackageRequest = z.output<typeof requestSchema>;

export interface PackageMeta {
  generatedAt: Date;
  locale: Locale;
  requestRef?: string;
  business: { name: string; phone: string; email: string; website: string };
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);
const orNull = (s: string | null | undefined) => s ?? null;

/** Maps what was collected to the package, and checks it against the schema before it leaves. */
export function toAccessPackage(data: CollectedData, meta: PackageMeta): AccessPackage {
  const { profile, orders, requests, thirdParties } = data;
  const pkg: AccessPackage = {
    schemaVersion: ACCESS_PACKAGE_SCHEMA_VERSION,
    kind: 'hakdata/access-package',
    generatedAt: meta.generatedAt.toISOString(),
    locale: meta.locale,
    requestRef: meta.requestRef ?? null,
    business: { ...meta.business },
    sections: {
      profile: {
        customerNo: profile.customerNo,
        name: orNull(profile.name),
        phone: orNull(profile.phone),
        email: orNull(profile.email),
        address: orNull(profile.address),
        area: orNull(profile.area),
        paymentMethod: orNull(profile.paymentMethod),
        createdAt: iso(profile.createdAt) ?? meta.generatedAt.toISOString(),
        updatedAt: iso(profile.updatedAt) ?? meta.generatedAt.toISOString(),
        erased: Boolean(profile.erasedAt),
        erasedAt: iso(profile.erasedAt),
      },
      orders: {
        currency: 'IDR',
        count: orders.length,
        items: orders.map((o) => ({
          orderNo: o.orderNo,
          service: o.service,
          status: o.status,
          scheduledAt: new Date(o.scheduledAt).toISOString(),
          completedAt: iso(o.completedAt),
          address: orNull(o.address),
          amount: o.amount,
          paymentStatus: o.paymentStatus,
          paymentMethod: orNull(o.paymentMethod),
          notes: orNull(o.notes),
          anonymizedAt: iso(o.anonymizedAt),
          createdAt: iso(o.createdAt) ?? new Date(o.scheduledAt).toISOString(),
        })),
      },
      marketingConsent: {
        granted: profile.marketingConsent?.granted ?? false,
        updatedAt:
          iso(profile.marketingConsent?.updatedAt) ??
          iso(profile.createdAt) ??
          meta.generatedAt.toISOString(),
        source: profile.marketingConsent?.source ?? 'unknown',
        history: (profile.consentHistory ?? []).map((e) => ({
          granted: e.granted,
          at: new Date(e.at).toISOString(),
          source: e.source,
          channel: orNull(e.channel),
          words: orNull(e.words),
          messageId: orNull(e.messageId),
          promoId: orNull(e.promoId),
          requestRef: orNull(e.requestRef),
        })),
      },
      privacyRequests: { count: requests.length, items: requests.map(toPackageRequest) },
      processingRestriction: {
        restricted: Boolean(profile.processingRestriction?.scope),
        scope: profile.processingRestriction?.scope ?? null,
        since: iso(profile.processingRestriction?.since),
        reason: orNull(profile.processingRestriction?.reason),
      },
      thirdParties: {
        policySection: '5',
        items: thirdParties.map((t) => ({
          id: t.id,
          policySection: t.policySection,
          name: t.name[meta.locale],
          purpose: t.purpose[meta.locale],
          dataShared: t.dataShared[meta.locale],
          fields: [...t.fields],
        })),
      },
    },
  };
  return accessPackageSchema.parse(pkg);
}

const FINAL_STATUSES = new Set(['completed', 'rejected', 'failed', 'cancelled']);

/** Who moved a request, without naming the staff member (their id is ours, not the customer's). */
function actorKind(actor: string): 'customer' | 'staff' | 'system' {
  if (actor === 'customer' || actor.startsWith('customer:')) return 'customer';
  if (actor.startsWith('staff') || actor.startsWith('telegram:')) return 'staff';
  return 'system';
}

function toPackageRequest(r: RequestRecord): AccessPackageRequest {
  const history = r.history ?? [];
  const finished = [...history].reverse().find((h) => FINAL_STATUSES.has(h.to));
  const changes = r.changes
    ? Object.fromEntries(
        Object.entries(r.changes).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      )
    : null;
  return {
    ref: r.ref,
    type: r.type,
    status: r.status,
    channel: r.channel,
    chatId: orNull(r.chatId),
    createdAt: new Date(r.createdAt).toISOString(),
    dueAt: new Date(r.dueAt).toISOString(),
    completedAt: finished && FINAL_STATUSES.has(r.status) ? new Date(finished.at).toISOString() : null,
    changedFields: changes ? Object.keys(changes) : [],
    changes,
    flags: (r.flags ?? []).map((f) => ({ code: f.code, reason: f.reason })),
    decision: r.decision?.outcome
      ? {
          outcome: r.decision.outcome,
          at: iso(r.decision.at),
          // Staff write the reason for the customer (it is sent to them on rejection).
          reason: orNull(r.decision.reason),
        }
      : null,
    history: history.map((h) => ({
      at: new Date(h.at).toISOString(),
      from: h.from ?? null,
      to: h.to,
      by: actorKind(h.actor),
    })),
  };
}

/** Pretty-printed UTF-8: readable when opened by hand, still one JSON.parse away for a program. */
export function serializeAccessPackage(pkg: AccessPackage): Buffer {
  return Buffer.from(`${JSON.stringify(pkg, null, 2)}\n`, 'utf8');
}
