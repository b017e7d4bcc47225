import type { AppContext } from '../app/context.js';
import { recordAudit } from '../audit/record.js';
import { channelDefinition } from '../channels/registry.js';
import type { Promo } from '../db/index.js';
import { SessionStore } from '../sessions/session-store.js';
import { type AudienceSnapshot, audienceFilter, type CustomerFilter, readAudience } from './audience.js';
import { checkBatch } from './eligibility.js';
import { PromoError } from './errors.js';
import type { PromoFile } from './file.js';
import {
  type DeliveryStore,
  type DeliveryWrite,
  deliveryId,
  type Lane,
  type LaneDeps,
  runLane,
  writeDeliveriesByKey,
} from './lane.js';
import { OptOutWatch } from './opt-out-watch.js';
import { assignLanes, type Plan, planOf, undecidedCount } from './plan.js';
import { isChannelEnabled } from './recipients.js';
import { withStorageRetry } from './storage.js';
import { newLease, type PromoStoreDeps, PromoWriter, sum, takeLease, tallyDeliveries } from './store.js';
import { SendThrottle } from './throttle.js';
import { createPromoTransport, type PromoTransport } from './transport.js';

export interface PromoSendOptions {
  /** Count who would get it and why not; write and send nothing. */
  dryRun?: boolean;
  /** Continue a promo already started (after a crash or an interrupt). */
  resume?: boolean;
  /** Take the promo over although another sender's lease looks alive (it must really be gone). */
  force?: boolean;
  /** Messages per second per channel; over the file's `rate` and the defaults. */
  rates?: Record<string, number>;
  /** Batches in progress at once per channel (default 3). */
  concurrency?: number;
  /** Recipients checked and claimed together; default: a tenth of a second of sends (1-50). */
  batchSize?: number;
  /** Aborting stops taking recipients; messages in flight finish and are recorded. */
  signal?: AbortSignal;
  onProgress?: (progress: LiveProgress) => void;
  /** Who started it, for the audit trail and the console ("cli:<user>", "staff:<id>"). */
  by?: string;
  leaseMs?: number;
  /** How often progress is written to MongoDB. */
  progressEveryMs?: number;
  /** 429 answers one message may get before it counts as failed. */
  maxRateLimitRetries?: number;
  /** Channel unreachable this many times in a row: stop that channel (resume later). */
  maxConsecutiveFailures?: number;
  /** Where messages go; default: channel adapters, and the outbound queue for session channels. */
  transport?: PromoTransport;
}

/** This run's numbers, for a progress bar. */
export interface LiveProgress {
  promoId: string;
  /** Recipients this run decides on. */
  total: number;
  done: number;
  sent: number;
  skipped: number;
  failed: number;
  perSecond: number;
}

export interface PromoReport {
  promoId: string;
  status: 'completed' | 'interrupted' | 'dry_run';
  /** Customers the area / last-order filters match. */
  audience: number;
  /** Messages sent (in a dry run: that would be sent), over all runs of the promo. */
  sent: number;
  byChannel: Record<string, number>;
  skipped: Record<string, number>;
  failed: Record<string, number>;
  /** Failures the platform gave its own code for (WhatsApp Cloud API 132015), by failure code. */
  failedPlatformCodes: Record<string, Record<string, number>>;
  /** Sent by this run, how long its sending took, and the rate reached. */
  sentThisRun: number;
  elapsedMs: number;
  perSecond: number;
  rates: Record<string, number>;
  /** Deliveries a crashed run left uncertain, closed as failed (INTERRUPTED) by this run. */
  recovered: number;
  notes: string[];
}

const DEFAULT_LEASE_MS = 15_000;

const isDuplicate = (err: unknown) => (err as { code?: unknown }).code === 11000;

/**
 * Sends a promotion to the consented part of its audience, once per customer, at the channels'
 * rates. Safe to run again after a crash (`resume`): the unique delivery per (promo, customer),
 * written before the message leaves, is the claim, so nobody gets the promo twice.
 */
export async function sendPromo(
  ctx: AppContext,
  file: PromoFile | undefined,
  options: PromoSendOptions & { promoId?: string } = {},
): Promise<PromoReport> {
  const plan = await planOf(ctx, file, options);
  const notes: string[] = [];
  for (const channel of plan.channels)
    if (!isChannelEnabled(ctx, channel))
      notes.push(`${channel} is not enabled here: left out of the preference`);
  const channels = plan.channels.filter((c) => isChannelEnabled(ctx, c));
  if (channels.length === 0)
    throw new PromoError(
      'NO_CHANNEL',
      `None of the promo's channels (${plan.channels.join(', ')}) is enabled here: configure one (README, Channels).`,
    );
  for (const channel of plan.channels) {
    const rate = plan.rates[channel];
    const ceiling = channelDefinition(channel)?.capabilities.promo.ceiling;
    if (rate && ceiling && rate > ceiling)
      notes.push(
        `${channel} at ${rate}/s is above the platform's ~${ceiling} messages a second: expect rate-limit answers (the sender then waits)`,
      );
  }

  const base = await audienceFilter(ctx, plan.audience);
  // The watch BEFORE the audience is read: see opt-out-watch.ts.
  const watch = await OptOutWatch.open(ctx);
  const start: RunStart = { base, watch, audience: await readAudience(ctx, base) };
  if (options.dryRun) return dryRun(ctx, plan, channels, start, notes);
  return liveRun(ctx, plan, channels, start, notes, options);
}

/** What a run starts from: the audience as read once, and what stops marketing since. */
interface RunStart {
  base: CustomerFilter;
  watch: OptOutWatch;
  audience: AudienceSnapshot;
}

async function dryRun(
  ctx: AppContext,
  plan: Plan,
  channels: string[],
  { watch, audience }: RunStart,
  notes: string[],
): Promise<PromoReport> {
  const started = performance.now();
  // Exclusions of those no run decided, as the report of a resume counts them: a customer decided
  // then and opted out since counts by the delivery, once.
  const { lanes, unreachable, excluded } = await assignLanes(ctx, plan.promoId, channels, audience);
  const skipped: Record<string, number> = { ...excluded };
  const byChannel: Record<string, number> = {};
  if (unreachable.length) skipped.no_chat = (skipped.no_chat ?? 0) + unreachable.length;
  const store = new SessionStore(ctx);
  for (const [channel, ids] of lanes) {
    for (let i = 0; i < ids.length; i += 100) {
      for (const check of await checkBatch(ctx, watch, ids.slice(i, i + 100), channel, store)) {
        if (check.ok) byChannel[channel] = (byChannel[channel] ?? 0) + 1;
        else skipped[check.reason] = (skipped[check.reason] ?? 0) + 1;
      }
    }
  }
  let sent = sum(byChannel);
  if (plan.existing) {
    // What earlier runs already decided, so the dry run of a resume adds up to the audience.
    const tally = await tallyDeliveries(ctx, plan.promoId);
    sent += tally.sent;
    for (const [k, v] of Object.entries(tally.skippedByReason)) skipped[k] = (skipped[k] ?? 0) + v;
    notes.push(`${tally.sent} already sent by earlier runs`);
  }
  return {
    promoId: plan.promoId,
    status: 'dry_run',
    audience: audience.size,
    sent,
    byChannel,
    skipped,
    failed: {},
    failedPlatformCodes: {},
    sentThisRun: 0,
    elapsedMs: Math.round(performance.now() - started),
    perSecond: 0,
    rates: plan.rates,
    recovered: 0,
    notes,
  };
}

/** Creates the promo, or takes over an existing one from a sender that is gone. */
async function takePromo(
  store: PromoStoreDeps,
  plan: Plan,
  audience: AudienceSnapshot,
  lease: ReturnType<typeof newLease>,
  options: PromoSendOptions,
  leaseMs: number,
): Promise<void> {
  const { promoId } = plan;
  if (!plan.existing) {
    try {
      await store.models.Promo.create({
        promoId,
        fileHash: plan.fileHash,
        message: plan.message,
        audience: plan.audience,
        channels: plan.channels,
        rates: plan.rates,
        status: 'running',
        lease,
        excluded: audience.excluded,
        progress: {
          total: audience.size,
          sent: 0,
          skipped: 0,
          failed: 0,
          perSecond: 0,
          updatedAt: new Date(),
        },
        runs: [],
      });
      return;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      throw new PromoError('PROMO_EXISTS', `Promo "${promoId}" was just started by another sender.`);
    }
  }
  const taken = await takeLease(store, promoId, lease, options.force ?? false);
  if (taken.ok) return;
  const seen = Math.max(0, Math.round((Date.now() - (taken.holder.until.getTime() - leaseMs)) / 1000));
  throw new PromoError(
    'PROMO_BUSY',
    `Promo "${promoId}" is being sent by ${taken.holder.host} (process ${taken.holder.pid}, seen ${seen} s ago). ` +
      'Wait for it, or add --force if that process is gone.',
  );
}

/**
 * Deliveries a crashed run left uncertain: the claims of a batch still listed in flight (written
 * as `sent` before the send; older runs wrote `pending`) may or may not have reached the customer:
 * closed as INTERRUPTED, never sent again. Queued ones (outbox) are withdrawn and sent again
 * instead: their dedupe key drops a copy. Only after a crash, so each read is a plain equality.
 */
async function recoverInterrupted(store: DeliveryStore & PromoStoreDeps, promo: Promo) {
  const { PromoDelivery, Promo: Promos } = store.models;
  const { promoId } = promo;
  const batches = promo.inFlight ?? [];
  const fields = { _id: 1, via: 1, state: 1 } as const;
  const found = await Promise.all([
    withStorageRetry(() => PromoDelivery.find({ promoId, state: 'pending' }, fields).lean()),
    ...batches.map((batch) =>
      withStorageRetry(() => PromoDelivery.find({ promoId, batch, state: 'sent' }, fields).lean()),
    ),
  ]);
  const uncertain = found.flat();
  const statements = uncertain.map(
    (d): DeliveryWrite =>
      d.via === 'outbox'
        ? { deleteOne: { filter: { _id: d._id } } }
        : {
            updateOne: {
              filter: { _id: d._id },
              update: {
                $set: {
                  state: 'failed',
                  error: {
                    code: 'INTERRUPTED',
                    detail: 'the sender stopped while sending; maybe delivered, not resent',
                  },
                },
                $unset: { sentAt: 1 },
              },
            },
          },
  );
  await writeDeliveriesByKey(store, statements);
  if (batches.length > 0)
    await withStorageRetry(() => Promos.updateOne({ promoId }, { $pullAll: { inFlight: batches } }));
  const requeued = uncertain.filter((d) => d.via === 'outbox').length;
  return { requeued, closed: uncertain.length - requeued };
}

async function liveRun(
  ctx: AppContext,
  plan: Plan,
  channels: string[],
  { base, watch, audience }: RunStart,
  notes: string[],
  options: PromoSendOptions,
): Promise<PromoReport> {
  const audienceSize = audience.size;
  const { Promo } = ctx.models;
  const { promoId } = plan;
  const log = ctx.logger.child({ component: 'promo', promoId });
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const lease = newLease(leaseMs);
  const by = options.by ?? 'cli';
  const startedAt = new Date();

  await takePromo(ctx, plan, audience, lease, options, leaseMs);
  const promo = (await Promo.findOne({ promoId }).lean<Promo>()) as Promo;
  // Until the lanes are assigned below (after the recovery): the last run's count.
  let excluded = promo.excluded ?? {};
  const recovered = await recoverInterrupted(ctx, promo);
  if (recovered.closed > 0)
    notes.push(`${recovered.closed} message(s) in flight when an earlier run stopped: not resent`);
  if (recovered.requeued > 0)
    notes.push(`${recovered.requeued} queued message(s) of an earlier run re-queued`);
  const runIndex = promo.runs.length;
  await Promo.updateOne(
    { promoId },
    { $push: { runs: { startedAt, by, sent: 0, recovered: recovered.closed } }, $set: { rates: plan.rates } },
  );
  await recordAudit(ctx, {
    actor: by,
    action: runIndex === 0 ? 'promo.started' : 'promo.resumed',
    details: { promoId, channels, audience: audienceSize },
    idempotencyKey: `promo:${promoId}:run:${runIndex}`,
  });

  const transport =
    options.transport ??
    createPromoTransport(ctx, { maxBacklog: (c) => Math.max(5, Math.ceil((plan.rates[c] ?? 1) * 5)) });
  const stopAll = new AbortController();
  const onAbort = () => stopAll.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stopAll.abort();

  const counts = { sent: 0, skipped: 0, failed: 0 };
  let sendStart = 0;
  let total = 0;
  const progress = (): LiveProgress => {
    const seconds = sendStart ? (performance.now() - sendStart) / 1000 : 0;
    return {
      promoId,
      total,
      done: counts.sent + counts.skipped + counts.failed,
      ...counts,
      perSecond: seconds > 0 ? counts.sent / seconds : 0,
    };
  };
  const before = await tallyDeliveries(ctx, promoId);
  const overall = (p: LiveProgress) => ({
    total: audienceSize,
    sent: before.sent + p.sent,
    skipped: sum(excluded) + sum(before.skippedByReason) + p.skipped,
    failed: sum(before.failedByCode) + p.failed,
    perSecond: Math.round(p.perSecond * 10) / 10,
  });

  const writer = new PromoWriter(ctx, promoId, lease.owner);
  let beatTimer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;
  try {
    // After the recovery above: deliveries it withdrew are undecided again.
    // The exclusions of this audience snapshot that no run decided: a resume's customers who
    // opted out (or were erased) since the crash, undecided then, are counted here and nowhere else.
    const assignment = await assignLanes(ctx, promoId, channels, audience);
    const { lanes: assigned, unreachable } = assignment;
    excluded = assignment.excluded;
    // Nobody on the promo's channels: decided now, recorded like any other skip.
    await recordUnreachable(ctx, promoId, unreachable);
    counts.skipped += unreachable.length;
    const lanes: Lane[] = [...assigned].map(([channel, recipients]) => {
      const rate = plan.rates[channel] ?? 1;
      return {
        channel,
        recipients,
        next: 0,
        throttle: new SendThrottle(rate),
        batchSize: options.batchSize ?? Math.min(50, Math.max(1, Math.ceil(rate / 10))),
        workers: options.concurrency ?? 3,
        failureStreak: 0,
      };
    });
    total = unreachable.length + lanes.reduce((n, l) => n + l.recipients.length, 0);
    log.info(
      {
        total,
        lanes: Object.fromEntries(lanes.map((l) => [l.channel, l.recipients.length])),
        rates: plan.rates,
      },
      'promo sending',
    );
    beatTimer = setInterval(
      () => {
        // One write at a time: a slow database gets fewer, not piled-up, progress writes.
        beating ??= writer
          .heartbeat(leaseMs, overall(progress()))
          .catch((err: Error) => log.warn({ err: { message: err.message } }, 'promo progress not saved'))
          .finally(() => {
            beating = undefined;
          });
      },
      Math.min(options.progressEveryMs ?? 1000, leaseMs / 3),
    );
    const deps: LaneDeps = {
      ctx,
      promoId,
      message: plan.message,
      transport,
      store: new SessionStore(ctx),
      watch,
      owner: lease.owner,
      writer,
      counts,
      maxRateLimitRetries: options.maxRateLimitRetries ?? 5,
      maxConsecutiveFailures: options.maxConsecutiveFailures ?? 10,
      onProgress: () => options.onProgress?.(progress()),
      log,
    };
    options.onProgress?.(progress());
    sendStart = performance.now();
    await Promise.all(lanes.map((lane) => runLane(deps, lane, stopAll.signal)));
    for (const lane of lanes) if (lane.stopped) notes.push(`${lane.channel} stopped: ${lane.stopped}`);
    if (stopAll.signal.aborted) notes.push('interrupted before every recipient was decided');
  } finally {
    clearInterval(beatTimer);
    // The last progress write lands before the final one, never after it.
    await beating;
    await writer.idle();
    options.signal?.removeEventListener('abort', onAbort);
    if (!options.transport) await transport.close();
  }

  const live = progress();
  const elapsedMs = sendStart ? performance.now() - sendStart : 0;
  const tally = await tallyDeliveries(ctx, promoId);
  // A batch still in flight (its outcomes could not be written) is the resume's to close.
  const unsettled = writer.unsettled;
  const status =
    (await undecidedCount(ctx, promoId, base)) > 0 || tally.pending > 0 || unsettled.length > 0
      ? 'interrupted'
      : 'completed';
  const skipped = mergeCounts(excluded, tally.skippedByReason);
  const endedAt = new Date();
  await withStorageRetry(() =>
    Promo.updateOne(
      { promoId, 'lease.owner': lease.owner },
      {
        $set: {
          status,
          lease: null,
          progress: {
            ...overall(live),
            sent: tally.sent,
            skipped: sum(skipped),
            failed: sum(tally.failedByCode),
            updatedAt: endedAt,
          },
          excluded,
          skippedByReason: skipped,
          failedByCode: tally.failedByCode,
          inFlight: unsettled,
          [`runs.${runIndex}.endedAt`]: endedAt,
          [`runs.${runIndex}.outcome`]: status,
          [`runs.${runIndex}.sent`]: live.sent,
          ...(status === 'completed' ? { finishedAt: endedAt } : {}),
        },
      },
    ),
  );
  await recordAudit(ctx, {
    actor: by,
    action: status === 'completed' ? 'promo.completed' : 'promo.interrupted',
    details: { promoId, sent: tally.sent, skipped: sum(skipped), failed: sum(tally.failedByCode) },
    idempotencyKey: `promo:${promoId}:run:${runIndex}:end`,
  });
  log.info(
    {
      status,
      sent: tally.sent,
      sentThisRun: live.sent,
      skipped,
      failed: tally.failedByCode,
      perSecond: live.perSecond,
    },
    'promo run ended',
  );
  return {
    promoId,
    status,
    audience: audienceSize,
    sent: tally.sent,
    byChannel: tally.byChannel,
    skipped,
    failed: tally.failedByCode,
    failedPlatformCodes: tally.failedByPlatformCode,
    sentThisRun: live.sent,
    elapsedMs: Math.round(elapsedMs),
    perSecond: Math.round(live.perSecond * 10) / 10,
    rates: plan.rates,
    recovered: recovered.closed,
    notes,
  };
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

async function recordUnreachable(store: PromoStoreDeps, promoId: string, ids: PromoReportIds): Promise<void> {
  if (ids.length === 0) return;
  const now = new Date();
  try {
    await withStorageRetry(() =>
      store.models.PromoDelivery.insertMany(
        ids.map((customerId) => ({
          _id: deliveryId(promoId, customerId),
          promoId,
          customerId,
          state: 'skipped',
          reason: 'no_chat',
          attempts: 0,
          createdAt: now,
        })),
        { ordered: false },
      ),
    );
  } catch (err) {
    // Decided meanwhile by another sender: theirs stands.
    if (!isDuplicate(err) && !Array.isArray((err as { writeErrors?: unknown }).writeErrors)) throw err;
  }
}

type PromoReportIds = Awaited<ReturnType<typeof assignLanes>>['unreachable'];
