import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Types } from 'mongoose';
import type { AppContext } from '../app/context.js';
import { ChannelSendError } from '../channels/types.js';
import { type OutboundMeta, sanitizeDetail } from '../outbound/index.js';
import type { SessionStore } from '../sessions/session-store.js';
import { checkRecipient, checkRecipients, type Eligibility } from './eligibility.js';
import { promoText } from './message.js';
import { withStorageRetry } from './storage.js';
import { AbortedError, type SendThrottle } from './throttle.js';
import type { PromoTransport } from './transport.js';

/**
 * One channel's share of a promo, sent in small batches: each batch is the next fraction of a
 * second of sends. For a batch: check every recipient against MongoDB and Redis as they are now,
 * record the skips, claim the rest (a `pending` delivery each, written BEFORE anything is sent),
 * send each in its throttle slot, then record what happened. A few batches overlap so checking
 * the next one does not slow the sends of this one.
 */

export interface Lane {
  channel: string;
  ids: Types.ObjectId[];
  next: number;
  throttle: SendThrottle;
  batchSize: number;
  /** Batches in progress at once. */
  workers: number;
  failureStreak: number;
  stopped?: string;
}

export interface LaneDeps {
  ctx: AppContext;
  promoId: string;
  message: { id: string; en: string };
  transport: PromoTransport;
  store: SessionStore;
  /** The lease owner: claims carry it, so a sender knows which claims of a batch it won. */
  owner: string;
  counts: { sent: number; skipped: number; failed: number };
  maxRateLimitRetries: number;
  maxConsecutiveFailures: number;
  onProgress: () => void;
  log: AppContext['logger'];
}

const OPEN_BACKOFF_CAP_MS = 30_000;
/**
 * Statements per bulk write: FerretDB 1.24 on PostgreSQL holds a pooled connection per statement
 * until the command ends and locks up past its pool (about 50).
 */
const BULK_STATEMENTS = 40;

export const deliveryId = (promoId: string, customerId: Types.ObjectId | string) =>
  `${promoId}:${customerId}`;

export async function runLane(deps: LaneDeps, lane: Lane, runSignal: AbortSignal): Promise<void> {
  const laneStop = new AbortController();
  const signal = AbortSignal.any([runSignal, laneStop.signal]);
  // Every send waiting for its slot listens on this signal.
  setMaxListeners(0, signal);
  const stop = (why: string) => {
    lane.stopped ??= why;
    laneStop.abort();
  };
  await Promise.all(
    Array.from({ length: lane.workers }, async () => {
      while (!signal.aborted && !lane.stopped) {
        const batch = lane.ids.slice(lane.next, lane.next + lane.batchSize);
        lane.next += batch.length;
        if (batch.length === 0) return;
        try {
          await deliverBatch(deps, lane, batch, signal, stop);
        } catch (err) {
          if (err instanceof AbortedError) return;
          // Storage trouble (MongoDB, Redis): stop; a resume carries on from the deliveries.
          deps.log.error(
            { err: { message: (err as Error).message }, channel: lane.channel },
            'promo lane failed',
          );
          stop(`storage error: ${(err as Error).message.slice(0, 120)}`);
          return;
        }
        deps.onProgress();
      }
    }),
  );
}

type Outcome =
  | { state: 'sent'; messageId?: string; chatHash: string; channel: string; attempts: number }
  | { state: 'failed'; code: string; detail: string; attempts: number }
  | { state: 'skipped'; reason: string }
  /** Never sent (the run stopped while it waited for its slot): the claim is withdrawn. */
  | { state: 'released' };

async function deliverBatch(
  deps: LaneDeps,
  lane: Lane,
  batch: Types.ObjectId[],
  signal: AbortSignal,
  stop: (why: string) => void,
): Promise<void> {
  const { ctx, transport } = deps;
  await transport.waitForRoom(lane.channel, signal);
  const checks = await checkRecipients(ctx, batch, lane.channel, deps.store);
  const skipped = batch.flatMap((id, i) => {
    const c = checks[i];
    return c && !c.ok ? [{ id, check: c }] : [];
  });
  const eligible = batch.flatMap((id, i) => {
    const c = checks[i];
    return c?.ok ? [{ id, check: c }] : [];
  });
  await recordSkips(deps, lane.channel, skipped);
  const { mine, batch: batchId } = await claim(deps, lane.channel, eligible);
  const outcomes = await Promise.all(mine.map((r) => sendOne(deps, lane, r.id, r.check, signal, stop)));
  await recordOutcomes(
    deps,
    batchId,
    mine.map((r, i) => ({ id: r.id, outcome: outcomes[i] as Outcome })),
  );
}

async function recordSkips(
  deps: LaneDeps,
  channel: string,
  skipped: { id: Types.ObjectId; check: Extract<Eligibility, { ok: false }> }[],
): Promise<void> {
  if (skipped.length === 0) return;
  const now = new Date();
  try {
    await withStorageRetry(() =>
      deps.ctx.models.PromoDelivery.insertMany(
        skipped.map(({ id, check }) => ({
          _id: deliveryId(deps.promoId, id),
          promoId: deps.promoId,
          customerId: id,
          state: 'skipped',
          reason: check.reason,
          channel,
          attempts: 0,
          createdAt: now,
        })),
        { ordered: false },
      ),
    );
  } catch (err) {
    // Decided meanwhile by another sender: theirs stands.
    if (!duplicateIndexes(err)) throw err;
  }
  deps.counts.skipped += skipped.length;
}

/** Indexes of an unordered insertMany's documents refused as duplicates (MongoDB and FerretDB agree). */
function duplicateIndexes(err: unknown): Set<number> | undefined {
  const writeErrors = (
    err as { writeErrors?: { index?: number; code?: number; err?: { index?: number; code?: number } }[] }
  ).writeErrors;
  if (!Array.isArray(writeErrors)) return (err as { code?: unknown }).code === 11000 ? new Set() : undefined;
  const dups = new Set<number>();
  for (const w of writeErrors) {
    const code = w.code ?? w.err?.code;
    const index = w.index ?? w.err?.index;
    if (code !== 11000 || index === undefined) return undefined;
    dups.add(index);
  }
  return dups;
}

/**
 * Writes a `pending` delivery per recipient, in one unordered insert, and returns those this
 * sender won. A claim that already existed (another sender, an earlier run) is never sent again;
 * when the insert reports duplicates, those are read back, in case a retried insert had in fact
 * written our own claim the first time.
 */
async function claim(
  deps: LaneDeps,
  channel: string,
  eligible: { id: Types.ObjectId; check: Extract<Eligibility, { ok: true }> }[],
): Promise<{ mine: typeof eligible; batch: string }> {
  // Marks this batch's claims, so their outcome is written by equality (see recordOutcomes).
  const batch = randomBytes(6).toString('hex');
  if (eligible.length === 0) return { mine: [], batch };
  const { PromoDelivery } = deps.ctx.models;
  const via = deps.transport.via(channel);
  const now = new Date();
  const docs = eligible.map((e) => ({
    _id: deliveryId(deps.promoId, e.id),
    promoId: deps.promoId,
    customerId: e.id,
    state: 'pending' as const,
    claimedBy: deps.owner,
    batch,
    channel,
    via,
    attempts: 0,
    createdAt: now,
  }));
  let refused = new Set<number>();
  try {
    await withStorageRetry(() => PromoDelivery.insertMany(docs, { ordered: false }));
  } catch (err) {
    const dups = duplicateIndexes(err);
    if (!dups) throw err;
    refused = dups;
  }
  if (refused.size === 0) return { mine: eligible, batch };
  const keys = [...refused].map((i) => docs[i]?._id as string);
  // Each by key (FerretDB 1.24 reads the whole collection for `_id: {$in: …}`); only after a refusal.
  const back = await withStorageRetry(() =>
    Promise.all(keys.map((key) => PromoDelivery.findById(key, { claimedBy: 1, state: 1 }).lean())),
  );
  const ours = new Set(
    back.flatMap((d) => (d && d.claimedBy === deps.owner && d.state === 'pending' ? [d._id] : [])),
  );
  return { mine: eligible.filter((_, i) => !refused.has(i) || ours.has(docs[i]?._id as string)), batch };
}

async function sendOne(
  deps: LaneDeps,
  lane: Lane,
  customerId: Types.ObjectId,
  check: Extract<Eligibility, { ok: true }>,
  signal: AbortSignal,
  stop: (why: string) => void,
): Promise<Outcome> {
  const { ctx, promoId, transport } = deps;
  const meta: OutboundMeta = {
    purpose: 'promo',
    promoId,
    customerId: String(customerId),
    dedupeKey: `promo:${promoId}:${customerId}`,
  };
  let chat = check;
  let recheck = false;
  for (let attempt = 1; ; attempt++) {
    try {
      await lane.throttle.acquire(signal);
    } catch (err) {
      if (err instanceof AbortedError) return { state: 'released' };
      throw err;
    }
    if (recheck) {
      // After a wait the platform asked for: the customer may have said STOP meanwhile.
      const again = await checkRecipient(ctx, customerId, lane.channel, deps.store);
      if (!again.ok) {
        lane.throttle.release();
        return { state: 'skipped', reason: again.reason };
      }
      chat = again;
    }
    let sent: { messageId?: string };
    try {
      sent = await transport.send(
        lane.channel,
        chat.chatId,
        { kind: 'text', text: promoText(ctx, deps.message, chat.locale) },
        meta,
      );
    } catch (err) {
      const error = asChannelError(err);
      if (error.code === 'RATE_LIMITED' && attempt <= deps.maxRateLimitRetries) {
        // Not sent: every send of the channel waits as asked, then this one is checked again.
        lane.throttle.pause(error.retryAfterMs ?? 1000);
        recheck = true;
        continue;
      }
      if (error.code === 'UNAVAILABLE') {
        lane.failureStreak += 1;
        lane.throttle.pause(Math.min(1000 * 2 ** (lane.failureStreak - 1), OPEN_BACKOFF_CAP_MS));
        if (lane.failureStreak >= deps.maxConsecutiveFailures)
          stop(
            `unreachable ${lane.failureStreak} times in a row (${sanitizeDetail(error.message).slice(0, 80)})`,
          );
      }
      return {
        state: 'failed',
        code: error.code,
        detail: sanitizeDetail(error.message).slice(0, 200),
        attempts: attempt,
      };
    }
    lane.failureStreak = 0;
    return {
      state: 'sent',
      attempts: attempt,
      chatHash: chat.chatHash,
      channel: lane.channel,
      ...(sent.messageId ? { messageId: sent.messageId } : {}),
    };
  }
}

/**
 * What happened to a batch, in few statements, and the platform message ids in `promomessages`
 * (insert-only), where a reply to the promo is looked up. The commonest outcome (usually every
 * message sent) is one update by equality: the batch's claims still pending. The others go first,
 * each claim by its key, in one bulk write.
 */
async function recordOutcomes(
  deps: LaneDeps,
  batch: string,
  results: { id: Types.ObjectId; outcome: Outcome }[],
): Promise<void> {
  if (results.length === 0) return;
  const { PromoDelivery, PromoMessage } = deps.ctx.models;
  const now = new Date();
  const groups = new Map<string, { set: Record<string, unknown> | undefined; keys: string[] }>();
  for (const { id, outcome } of results) {
    const set =
      outcome.state === 'released'
        ? undefined
        : outcome.state === 'sent'
          ? { state: 'sent', attempts: outcome.attempts, sentAt: now }
          : outcome.state === 'failed'
            ? {
                state: 'failed',
                attempts: outcome.attempts,
                error: { code: outcome.code, detail: outcome.detail },
              }
            : { state: 'skipped', reason: outcome.reason };
    const group = JSON.stringify(set ?? null);
    const entry = groups.get(group) ?? { set, keys: [] as string[] };
    entry.keys.push(deliveryId(deps.promoId, id));
    groups.set(group, entry);
  }
  const messages = results.flatMap(({ id, outcome }) =>
    outcome.state === 'sent' && outcome.messageId && outcome.chatHash
      ? [
          {
            _id: `${outcome.chatHash}:${outcome.messageId}`,
            promoId: deps.promoId,
            customerId: id,
            channel: outcome.channel,
            sentAt: now,
          },
        ]
      : [],
  );
  if (messages.length > 0) {
    try {
      await withStorageRetry(() => PromoMessage.insertMany(messages, { ordered: false }));
    } catch (err) {
      if (!duplicateIndexes(err)) throw err;
    }
  }
  // Not `_id: {$in: …}`: FerretDB 1.24 reads the whole collection for it. By-key statements cost
  // it a lookup each (measured: half the promo's rate when every outcome went that way), so only
  // the rarer outcomes do, in chunks well below what FerretDB on PostgreSQL holds connections for.
  const ordered = [...groups.values()].sort((a, b) => a.keys.length - b.keys.length);
  const common = ordered.pop();
  const statements = ordered.flatMap(({ set, keys }) =>
    keys.map((key) => {
      const filter = { _id: key, state: 'pending' as const };
      // Never sent (the run stopped while they waited for a slot): the claim is withdrawn.
      return set ? { updateOne: { filter, update: { $set: set } } } : { deleteOne: { filter } };
    }),
  );
  for (let i = 0; i < statements.length; i += BULK_STATEMENTS) {
    const chunk = statements.slice(i, i + BULK_STATEMENTS);
    await withStorageRetry(() => PromoDelivery.bulkWrite(chunk, { ordered: false }));
  }
  if (common) {
    // What is still pending of this batch's claims is exactly the commonest outcome's.
    const filter = { promoId: deps.promoId, batch, state: 'pending' as const };
    const { set } = common;
    if (!set) await withStorageRetry(() => PromoDelivery.deleteMany(filter));
    else await withStorageRetry(() => PromoDelivery.updateMany(filter, { $set: set }));
  }
  for (const { outcome } of results) {
    if (outcome.state === 'sent') deps.counts.sent += 1;
    else if (outcome.state === 'failed') deps.counts.failed += 1;
    else if (outcome.state === 'skipped') deps.counts.skipped += 1;
  }
}

function asChannelError(err: unknown): ChannelSendError {
  if (err instanceof ChannelSendError) return err;
  // The outbox refused (malformed) or Redis failed: nothing left this process.
  const code = (err as { code?: unknown }).code === 'INVALID_MESSAGE' ? 'BAD_REQUEST' : 'UNAVAILABLE';
  return new ChannelSendError(code, err instanceof Error ? err.message : String(err));
}
