import type { Types } from 'mongoose';
import type { Locale } from '../catalogue/index.js';
import type { Config } from '../config/index.js';
import type { Models } from '../db/index.js';
import { keyedHash } from '../identity/keyed-hash.js';
import type { LinkStore } from '../identity/links.js';
import { chatSuppressionHash, phoneSuppressionHash } from '../requests/index.js';
import { SessionStore } from '../sessions/session-store.js';
import { heldByCustomer, type OptOutWatch, REQUEST_FACTS, type RequestFacts } from './opt-out-watch.js';
import { chatOn } from './recipients.js';
import { withStorageRetry } from './storage.js';

/** Why a customer of the audience gets no message. Stable codes: reports and the console use them. */
export const SKIP_REASONS = [
  'no_consent',
  'erased',
  'restricted',
  'opt_out_pending',
  'suppressed_phone',
  'suppressed_chat',
  'no_chat',
  'not_found',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const SKIP_REASON_TEXT: Record<SkipReason, string> = {
  no_consent: 'no marketing consent',
  erased: 'customer erased',
  restricted: 'processing restricted by the customer (UU PDP art. 11)',
  opt_out_pending: 'opt-out received, being applied',
  suppressed_phone: 'number on the do-not-market list',
  suppressed_chat: 'chat on the do-not-market list',
  no_chat: 'no reachable chat on the promo channels',
  not_found: 'customer no longer exists',
};

/**
 * What the check reads: the customer's record, their requests and the do-not-market list; the
 * chat links and sessions in Redis (a chat's language); the OTP secret the do-not-market hashes
 * are keyed with (in the LinkStore's config) and the default language.
 */
export type EligibilityDeps = LinkStore & {
  config: Pick<Config, 'defaultLocale'>;
  models: Pick<Models, 'Customer' | 'PrivacyRequest' | 'Suppression'>;
};

export type Eligibility =
  | { ok: true; chatId: string; chatHash: string; locale: Locale }
  | { ok: false; reason: SkipReason; chatHash?: string };

/** A customer as the check reads them: the audience snapshot's row, or the record read again. */
export interface Standing {
  _id: Types.ObjectId;
  phone?: string | null;
  marketingConsent?: { granted?: boolean } | null;
  erasedAt?: Date | null;
  processingRestriction?: { scope?: string } | null;
}

/** The fields of a customer the check reads (the audience snapshot reads the same). */
export const STANDING_FIELDS = {
  phone: 1,
  'marketingConsent.granted': 1,
  erasedAt: 1,
  'processingRestriction.scope': 1,
} as const;

/** Why the customer gets nothing whatever their chat, or undefined. */
function standingReason(
  customer: Standing | null | undefined,
  held: SkipReason | undefined,
): SkipReason | undefined {
  if (!customer) return 'not_found';
  if (customer.erasedAt) return 'erased';
  // Either scope stops promotions (UU PDP art. 11), whatever the consent says; so does a
  // restriction the customer asked for and the worker has not applied yet.
  if (customer.processingRestriction?.scope || held === 'restricted') return 'restricted';
  if (customer.marketingConsent?.granted !== true) return 'no_consent';
  return held;
}

/** Which of the given do-not-market hashes are listed. */
type Listed = (hashes: string[]) => Promise<ReadonlySet<string>>;

/**
 * The customers' chats on the channel, the do-not-market list (keyed hashes of the number and
 * the chat, requests/suppression.ts) and each chat's language, for those whose standing allows
 * a send. Redis only, but for `listed`.
 */
async function reach(
  deps: EligibilityDeps,
  channel: string,
  customers: { customer: Standing | null | undefined; held: SkipReason | undefined }[],
  listed: Listed,
  store: SessionStore,
): Promise<Eligibility[]> {
  const decided = await Promise.all(
    customers.map(
      async ({ customer, held }): Promise<Eligibility | { customer: Standing; chatId: string }> => {
        const reason = standingReason(customer, held);
        if (reason || !customer) return { ok: false, reason: reason ?? 'not_found' };
        const chatId = await chatOn(deps, channel, customer);
        return chatId ? { customer, chatId } : { ok: false, reason: 'no_chat' };
      },
    ),
  );
  const keys = decided.map((d) =>
    'ok' in d
      ? undefined
      : {
          chat: chatSuppressionHash(deps, channel, d.chatId),
          legacy: legacyChatHash(deps, channel, d.chatId),
          phone: d.customer.phone ? phoneSuppressionHash(deps, d.customer.phone) : undefined,
        },
  );
  const hashes = keys.flatMap((k) => (k ? [k.chat, k.legacy, ...(k.phone ? [k.phone] : [])] : []));
  const [onList, sessions] = await Promise.all([
    hashes.length ? listed(hashes) : Promise.resolve(new Set<string>()),
    Promise.all(decided.map((d) => ('ok' in d ? undefined : store.load(channel, d.chatId)))),
  ]);
  return decided.map((d, i): Eligibility => {
    const k = keys[i];
    if ('ok' in d || !k) return d as Eligibility;
    if (k.phone && onList.has(k.phone)) return { ok: false, reason: 'suppressed_phone', chatHash: k.chat };
    if (onList.has(k.chat) || onList.has(k.legacy))
      return { ok: false, reason: 'suppressed_chat', chatHash: k.chat };
    const locale = sessions[i]?.meta?.locale ?? deps.config.defaultLocale;
    return { ok: true, chatId: d.chatId, chatHash: k.chat, locale };
  });
}

/**
 * The send-time check of a batch of the audience snapshot (the next fraction of a second of
 * sends): what was written since the previous batch's read, in one read of the requests and one
 * of the do-not-market entries (opt-out-watch.ts; what earlier reads found is kept), and the
 * customer's record read again only for those a request since the snapshot names. A STOP, an
 * erasure or a restriction counts from the moment its request is accepted, applied or not.
 */
export async function checkBatch(
  deps: EligibilityDeps,
  watch: OptOutWatch,
  recipients: Standing[],
  channel: string,
  store: SessionStore = new SessionStore(deps),
): Promise<Eligibility[]> {
  if (recipients.length === 0) return [];
  const changes = await watch.changes();
  const changed = recipients.filter((r) => changes.customers.has(String(r._id)));
  // By key, and only the few a request since names (`{_id}` alone: FerretDB hands it to its backend).
  const reread = await Promise.all(
    changed.map((r) =>
      withStorageRetry(() => deps.models.Customer.findById(r._id, STANDING_FIELDS).lean<Standing>()),
    ),
  );
  const fresh = new Map(changed.map((r, i) => [String(r._id), reread[i]] as const));
  const customers = recipients.map((r) => {
    const id = String(r._id);
    return {
      customer: fresh.has(id) ? fresh.get(id) : r,
      held: watch.heldAtStart.get(id) ?? changes.held.get(id),
    };
  });
  return reach(deps, channel, customers, async () => watch.suppressed, store);
}

/**
 * One customer checked against MongoDB and Redis as they are now, outside a run's snapshot (a
 * send retried after the platform asked to wait, a test): the record, the customer's own
 * requests, and each hash on the do-not-market list, all by key.
 */
export async function checkRecipient(
  deps: EligibilityDeps,
  customerId: Types.ObjectId,
  channel: string,
  store: SessionStore = new SessionStore(deps),
): Promise<Eligibility> {
  const { Customer, PrivacyRequest, Suppression } = deps.models;
  const [customer, requests] = await Promise.all([
    withStorageRetry(() => Customer.findById(customerId, STANDING_FIELDS).lean<Standing>()),
    withStorageRetry(() => PrivacyRequest.find({ customerId }, REQUEST_FACTS).lean<RequestFacts[]>()),
  ]);
  const listed: Listed = async (hashes) => {
    const found = await Promise.all(
      hashes.map((hash) => withStorageRetry(() => Suppression.exists({ hash }))),
    );
    return new Set(hashes.filter((_, i) => found[i]));
  };
  const [one] = await reach(
    deps,
    channel,
    [{ customer, held: heldByCustomer(requests).get(String(customerId)) }],
    listed,
    store,
  );
  return one ?? { ok: false, reason: 'not_found' };
}

/**
 * The opt-out action for unknown chats (conversation/actions/consent.ts) hashes `channel:chatId`
 * where the consent worker hashes `channel\nchatId`; both forms are checked until they agree.
 */
function legacyChatHash(deps: EligibilityDeps, channel: string, chatId: string): string {
  return keyedHash(deps.config.otp.secret, 'chat', `${channel}:${chatId}`);
}
