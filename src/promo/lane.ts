import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Connection, Types } from 'mongoose';
import { ChannelSendError } from '../channels/types.js';
import { bulkWriteInChunks, type Models } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import { type OutboundMeta, platformCodeOf, sanitizeDetail } from '../outbound/index.js';
import type { SessionStore } from '../sessions/session-store.js';
import {
  checkBatch,
  checkRecipient,
  type Eligibility,
  type EligibilityDeps,
  type Standing,
} from './eligibility.js';
import { type PromoTextDeps, promoText } from './message.js';
import type { OptOutWatch } from './opt-out-watch.js';
import { withStorageRetry } from './storage.js';
import type { PromoWriter } from './store.js';
import { AbortedError, type SendThrottle } from './throttle.js';
import type { PromoTransport } from './transport.js';

/**
 * One channel's share of a promo, sent in small batches: each batch is the next fraction of a
 * second of sends. For a batch: check every recipient against what changed since the audience
 * snapshot (opt-out-watch.ts) and Redis as it is now, and record the skips; list the batch as in
 * flight on the promo, then claim the rest (a delivery each, written as `sent` BEFORE anything is
 * sent); send each in its throttle slot; write the outcomes that are not `sent` (by key) and take
 * the batch off the in-flight list. Every write of the common path is an insert or a write to the
 * one promo document: on FerretDB 1.24 an update of a delivery reads the whole collection once
 * per document it changes (measured at 10,000 deliveries: 7-18 s for a batch's `updateMany`, 30
 * ms for its insert). A few batches overlap so checking the next one does not slow this one's sends.
 */

export interface Lane {
  channel: string;
  /** The audience snapshot's customers this channel reaches first, in send order. */
  recipients: Standing[];
  next: number;
  throttle: SendThrottle;
  batchSize: number;
  /** Batches in progress at once. */
  workers: number;
  failureStreak: number;
  stopped?: string;
}

/** Deliveries, written in chunks over their connection (db/chunked.ts). */
export interface DeliveryStore {
  mongo: Connection;
  models: Pick<Models, 'PromoDelivery'>;
}

/**
 * What a lane reads and writes: the send-time check's reads, the words of the text, the
 * deliveries and the platform message ids (`promomessages`).
 */
export type LaneStores = EligibilityDeps &
  PromoTextDeps &
  DeliveryStore & { models: Pick<Models, 'PromoMessage'> };

export interface LaneDeps {
  ctx: LaneStores;
  promoId: string;
  message: { id: string; en: string };
  transport: PromoTransport;
  store: SessionStore;
  /** What stopped marketing since the audience snapshot. */
  watch: OptOutWatch;
  /** The lease owner: claims carry it, so a sender knows which claims of a batch it won. */
  owner: string;
  /** This sender's writes to the promo document (the in-flight list). */
  writer: PromoWriter;
  counts: { sent: number; skipped: number; failed: number };
  maxRateLimitRetries: number;
  maxConsecutiveFailures: number;
  onProgress: () => void;
  log: Logger;
}

const OPEN_BACKOFF_CAP_MS = 30_000;

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
        const batch = lane.recipients.slice(lane.next, lane.next + lane.batchSize);
        lane.next += batch.length;
        if (batch.length === 0) return;
        try {
          await deliverBatch(deps, lane, batch, signal, stop);
        } catch (err) {
          if (err instanceof AbortedError) return;
          if (err instanceof LeaseLostError) {
            stop('another sender took the promo over (its lease)');
            return;
          }
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
  | { state: 'failed'; code: string; detail: string; platformCode?: string; attempts: number }
  | { state: 'skipped'; reason: string }
  /** Never sent (the run stopped while it waited for its slot): the claim is withdrawn. */
  | { state: 'released' };

async function deliverBatch(
  deps: LaneDeps,
  lane: Lane,
  batch: Standing[],
  signal: AbortSignal,
  stop: (why: string) => void,
): Promise<void> {
  const { ctx, transport } = deps;
  await transport.waitForRoom(lane.channel, signal);
  const checks = await checkBatch(ctx, deps.watch, batch, lane.channel, deps.store);
  const skipped = batch.flatMap(({ _id: id }, i) => {
    const c = checks[i];
    return c && !c.ok ? [{ id, check: c }] : [];
  });
  const eligible = batch.flatMap(({ _id: id }, i) => {
    const c = checks[i];
    return c?.ok ? [{ id, check: c }] : [];
  });
  await recordSkips(deps, lane.channel, skipped);
  const { mine, batch: batchId } = await claim(deps, lane.channel, eligible);
  const outcomes = await Promise.all(mine.map((r) => sendOne(deps, lane, r.id, r.check, signal, stop)));
  await recordOutcomes(
    deps,
    mine.map((r, i) => ({ id: r.id, outcome: outcomes[i] as Outcome })),
  );
  deps.writer.settle(batchId);
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

/** This sender no longer holds the promo's lease: it sends nothing more. */
class LeaseLostError extends Error {
  constructor() {
    super('lease lost');
    this.name = 'LeaseLostError';
  }
}

/**
 * Lists the batch as in flight, then writes a delivery per recipient (as `sent`, in one unordered
 * insert) and returns those this sender won. A claim that already existed (another sender, an
 * earlier run) is never sent again; when the insert reports duplicates, those are read back, in
 * case a retried insert had in fact written our own claim the first time.
 */
async function claim(
  deps: LaneDeps,
  channel: string,
  eligible: { id: Types.ObjectId; check: Extract<Eligibility, { ok: true }> }[],
): Promise<{ mine: typeof eligible; batch: string }> {
  // Names this batch in the promo's in-flight list and on its claims (see recordOutcomes).
  const batch = randomBytes(6).toString('hex');
  if (eligible.length === 0) return { mine: [], batch };
  const { PromoDelivery } = deps.ctx.models;
  if (!(await deps.writer.mark(batch))) throw new LeaseLostError();
  const via = deps.transport.via(channel);
  const now = new Date();
  const docs = eligible.map((e) => ({
    _id: deliveryId(deps.promoId, e.id),
    promoId: deps.promoId,
    customerId: e.id,
    // What nearly every claim becomes; the batch is in flight until the sends are done, and the
    // resume after a crash closes an unsettled batch's claims as INTERRUPTED.
    state: 'sent' as const,
    claimedBy: deps.owner,
    batch,
    channel,
    via,
    attempts: 1,
    createdAt: now,
    sentAt: now,
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
    Promise.all(keys.map((key) => PromoDelivery.findById(key, { claimedBy: 1, batch: 1 }).lean())),
  );
  const ours = new Set(
    back.flatMap((d) => (d && d.claimedBy === deps.owner && d.batch === batch ? [d._id] : [])),
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
      // The platform's own code (WhatsApp Cloud API 132015, 131047), whole: the detail masks digit runs.
      const platformCode = platformCodeOf(error.platformCode);
      return {
        state: 'failed',
        code: error.code,
        detail: sanitizeDetail(error.message).slice(0, 200),
        ...(platformCode ? { platformCode } : {}),
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
 * What happened to a batch. The claims say `sent` already: only the other outcomes (a failure, a
 * skip after a wait the platform asked for, a claim withdrawn unsent, a send that needed retries)
 * are written again, each by its key alone (the one filter FerretDB hands to its backend), in
 * commands FerretDB on PostgreSQL can serve. The platform message ids go
 * to `promomessages` (insert-only), where a reply to the promo is looked up.
 */
async function recordOutcomes(
  deps: LaneDeps,
  results: { id: Types.ObjectId; outcome: Outcome }[],
): Promise<void> {
  if (results.length === 0) return;
  const { PromoMessage } = deps.ctx.models;
  const now = new Date();
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
  const statements = results.flatMap(({ id, outcome }): DeliveryWrite[] => {
    const filter = { _id: deliveryId(deps.promoId, id) };
    if (outcome.state === 'released') return [{ deleteOne: { filter } }];
    if (outcome.state === 'sent')
      return outcome.attempts > 1
        ? [{ updateOne: { filter, update: { $set: { attempts: outcome.attempts, sentAt: now } } } }]
        : [];
    const set =
      outcome.state === 'failed'
        ? {
            state: 'failed',
            attempts: outcome.attempts,
            error: {
              code: outcome.code,
              detail: outcome.detail,
              ...(outcome.platformCode ? { platformCode: outcome.platformCode } : {}),
            },
          }
        : { state: 'skipped', reason: outcome.reason };
    return [{ updateOne: { filter, update: { $set: set, $unset: { sentAt: 1 } } } }];
  });
  await writeDeliveriesByKey(deps.ctx, statements);
  for (const { outcome } of results) {
    if (outcome.state === 'sent') deps.counts.sent += 1;
    else if (outcome.state === 'failed') deps.counts.failed += 1;
    else if (outcome.state === 'skipped') deps.counts.skipped += 1;
  }
}

export type DeliveryWrite = Parameters<Models['PromoDelivery']['bulkWrite']>[0][number];

/**
 * Writes to deliveries, each by its key alone, in commands small enough for FerretDB on
 * PostgreSQL, which holds a connection per matching statement until the command ends (db/chunked.ts).
 */
export async function writeDeliveriesByKey(store: DeliveryStore, statements: DeliveryWrite[]): Promise<void> {
  await bulkWriteInChunks(store.mongo, statements, (chunk) =>
    withStorageRetry(() => store.models.PromoDelivery.bulkWrite(chunk, { ordered: false })),
  );
}

function asChannelError(err: unknown): ChannelSendError {
  if (err instanceof ChannelSendError) return err;
  // The outbox refused (malformed) or Redis failed: nothing left this process.
  const code = (err as { code?: unknown }).code === 'INVALID_MESSAGE' ? 'BAD_REQUEST' : 'UNAVAILABLE';
  return new ChannelSendError(code, err instanceof Error ? err.message : String(err));
}
