import type { Types } from 'mongoose';
import type { AppContext } from '../app/context.js';
import type { Locale } from '../catalogue/index.js';
import type { RequestStatus } from '../db/index.js';
import { keyedHash } from '../identity/keyed-hash.js';
import { chatSuppressionHash, phoneSuppressionHash } from '../requests/index.js';
import { SessionStore } from '../sessions/session-store.js';
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

/** An opt-out the consent worker has not applied yet still counts: STOP works the moment it is read. */
const OPEN: RequestStatus[] = ['pending_approval', 'queued', 'processing'];

export type Eligibility =
  | { ok: true; chatId: string; chatHash: string; locale: Locale }
  | { ok: false; reason: SkipReason; chatHash?: string };

/**
 * The send-time check of recipients, against what MongoDB and Redis say now: each customer is
 * re-read, opt-outs still in the request queue count, and the number and the chat are looked up
 * on the do-not-market list (keyed hashes, requests/suppression.ts). Checked a batch at a time
 * (the next tenth of a second of sends): each customer read by key, the opt-outs and the list in
 * one query each.
 */
export async function checkRecipients(
  ctx: AppContext,
  customerIds: Types.ObjectId[],
  channel: string,
  store: SessionStore = new SessionStore(ctx),
): Promise<Eligibility[]> {
  const { Customer, PrivacyRequest, Suppression } = ctx.models;
  if (customerIds.length === 0) return [];
  // One lookup by key per customer (`{_id}` alone: the one filter FerretDB 1.24 hands to its
  // backend). The open opt-outs and, below, the do-not-market list in one `$in` query each per
  // batch, kept on purpose: MongoDB serves `$in` from the customerId and hash indexes, and on
  // FerretDB every filter but `{_id}` reads the whole collection, `$in` or not, so one query a
  // batch is one read where a lookup per status or per hash (tried) is one read each.
  const [customers, openOptOuts] = await Promise.all([
    Promise.all(
      customerIds.map((id) =>
        withStorageRetry(() =>
          Customer.findById(id, {
            phone: 1,
            marketingConsent: 1,
            erasedAt: 1,
            processingRestriction: 1,
          }).lean(),
        ),
      ),
    ),
    withStorageRetry(() =>
      PrivacyRequest.find(
        { customerId: { $in: customerIds }, type: 'unsubscribe', status: { $in: OPEN } },
        { customerId: 1 },
      ).lean(),
    ),
  ]);
  const byId = new Map(customers.flatMap((c) => (c ? [[String(c._id), c] as const] : [])));
  const optingOut = new Set(openOptOuts.map((r) => String(r.customerId)));

  const decided: (Eligibility | { chatId: string; phone?: string | null })[] = await Promise.all(
    customerIds.map(async (id): Promise<Eligibility | { chatId: string; phone?: string | null }> => {
      const customer = byId.get(String(id));
      if (!customer) return { ok: false, reason: 'not_found' };
      if (customer.erasedAt) return { ok: false, reason: 'erased' };
      // Either scope stops promotions (UU PDP art. 11), whatever the consent says.
      if (customer.processingRestriction?.scope) return { ok: false, reason: 'restricted' };
      if (customer.marketingConsent?.granted !== true) return { ok: false, reason: 'no_consent' };
      if (optingOut.has(String(id))) return { ok: false, reason: 'opt_out_pending' };
      const chatId = await chatOn(ctx, channel, customer);
      if (!chatId) return { ok: false, reason: 'no_chat' };
      return { chatId, phone: customer.phone };
    }),
  );

  const hashes = new Set<string>();
  const keys = decided.map((d) => {
    if ('ok' in d) return undefined;
    const k = {
      chat: chatSuppressionHash(ctx, channel, d.chatId),
      legacy: legacyChatHash(ctx, channel, d.chatId),
      phone: d.phone ? phoneSuppressionHash(ctx, d.phone) : undefined,
    };
    hashes.add(k.chat).add(k.legacy);
    if (k.phone) hashes.add(k.phone);
    return k;
  });
  const [suppressed, sessions] = await Promise.all([
    // One `$in` on the unique hash index (see above for why not a lookup per hash).
    hashes.size
      ? withStorageRetry(() => Suppression.find({ hash: { $in: [...hashes] } }, { hash: 1 }).lean())
      : Promise.resolve([]),
    Promise.all(decided.map((d) => ('ok' in d ? undefined : store.load(channel, d.chatId)))),
  ]);
  const listed = new Set(suppressed.map((s) => s.hash));

  return decided.map((d, i): Eligibility => {
    const k = keys[i];
    if ('ok' in d || !k) return d as Eligibility;
    if (k.phone && listed.has(k.phone)) return { ok: false, reason: 'suppressed_phone', chatHash: k.chat };
    if (listed.has(k.chat) || listed.has(k.legacy))
      return { ok: false, reason: 'suppressed_chat', chatHash: k.chat };
    const locale = sessions[i]?.meta?.locale ?? ctx.config.defaultLocale;
    return { ok: true, chatId: d.chatId, chatHash: k.chat, locale };
  });
}

export async function checkRecipient(
  ctx: AppContext,
  customerId: Types.ObjectId,
  channel: string,
  store?: SessionStore,
): Promise<Eligibility> {
  const [one] = await checkRecipients(ctx, [customerId], channel, store);
  return one ?? { ok: false, reason: 'not_found' };
}

/**
 * The opt-out action for unknown chats (conversation/actions/consent.ts) hashes `channel:chatId`
 * where the consent worker hashes `channel\nchatId`; both forms are checked until they agree.
 */
function legacyChatHash(ctx: AppContext, channel: string, chatId: string): string {
  return keyedHash(ctx.config.otp.secret, 'chat', `${channel}:${chatId}`);
}
