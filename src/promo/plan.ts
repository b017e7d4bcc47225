import type { Types } from 'mongoose';
import type { Models, Promo } from '../db/index.js';
import type { LinkStore } from '../identity/links.js';
import { type AudienceSnapshot, type CustomerFilter, consentedFilter } from './audience.js';
import type { Standing } from './eligibility.js';
import { PromoError } from './errors.js';
import { type Audience, audienceOf, type PromoFile, promoFileHash } from './file.js';
import { firstReachable, isRegisteredChannel, registeredChannels } from './recipients.js';
import { type RateDeps, ratesFor } from './throttle.js';

/**
 * What planning reads: the promo and its deliveries, the audience's customers, the chat links
 * that put them in a channel's lane, and the configuration the default rates come from.
 */
export type PlanDeps = LinkStore &
  RateDeps & { models: Pick<Models, 'Promo' | 'PromoDelivery' | 'Customer'> };

/** What a run sends: from the file (a new promo) or from MongoDB (a resume). */
export interface Plan {
  promoId: string;
  message: { id: string; en: string };
  audience: Audience;
  channels: string[];
  rates: Record<string, number>;
  existing: Promo | null;
  fileHash?: string;
}

export interface PlanRequest {
  promoId?: string;
  resume?: boolean;
  dryRun?: boolean;
  rates?: Record<string, number>;
}

export async function planOf(
  deps: PlanDeps,
  file: PromoFile | undefined,
  request: PlanRequest,
): Promise<Plan> {
  const promoId = request.promoId ?? file?.id;
  if (!promoId)
    throw new PromoError('PROMO_NOT_FOUND', 'Give a promo file, or the id of the promo to resume.');
  if (file && request.promoId && file.id !== request.promoId)
    throw new PromoError('PROMO_FILE_CHANGED', `The file is promo "${file.id}", not "${request.promoId}".`);
  const existing = await deps.models.Promo.findOne({ promoId }).lean<Promo>();
  const fileHash = file ? promoFileHash(file) : undefined;

  if (existing) {
    if (fileHash && existing.fileHash !== fileHash)
      throw new PromoError(
        'PROMO_FILE_CHANGED',
        `Promo "${promoId}" was started from a different file (message, audience or channels changed). Give the promo a new id to send the new version.`,
      );
    if (existing.status === 'completed' && !request.dryRun)
      throw new PromoError(
        'PROMO_EXISTS',
        `Promo "${promoId}" was already sent to its audience (${existing.progress.sent} messages). A new promotion needs a new id.`,
      );
    if (!request.resume && !request.dryRun)
      throw new PromoError(
        'PROMO_EXISTS',
        `Promo "${promoId}" was started and did not finish (${existing.status}). Continue it with --resume ${promoId}.`,
      );
  } else if (request.resume || !file) {
    throw new PromoError('PROMO_NOT_FOUND', `There is no promo "${promoId}" to resume.`);
  }

  const channels = existing?.channels ?? file?.channels ?? [];
  const unknown = channels.filter((c) => !isRegisteredChannel(c));
  if (unknown.length > 0)
    throw new PromoError(
      'UNKNOWN_CHANNEL',
      `Unknown channel ${unknown.join(', ')}: the channels are ${registeredChannels().join(', ')}.`,
    );
  // A rate for a name that is no channel (`--rate telegarm=10`, `rate: {whatsap: 2}`) would be
  // dropped without a word, leaving the default the operator meant to change.
  const rated = Object.keys({ ...file?.rate, ...request.rates }).filter((c) => !isRegisteredChannel(c));
  if (rated.length > 0)
    throw new PromoError(
      'UNKNOWN_CHANNEL',
      `A rate is set for unknown channel ${rated.join(', ')}: the channels are ${registeredChannels().join(', ')}.`,
    );
  const stored = existing?.audience;
  // A resume keeps the audience as resolved when the promo started ("within 90 days" of then).
  const audience: Audience = stored
    ? {
        ...(stored.areas ? { areas: stored.areas } : {}),
        ...(stored.lastOrderSince ? { lastOrderSince: stored.lastOrderSince } : {}),
        ...(stored.lastOrderUntil ? { lastOrderUntil: stored.lastOrderUntil } : {}),
      }
    : audienceOf(file as PromoFile);
  return {
    promoId,
    message: existing?.message ?? (file as PromoFile).message,
    audience,
    channels,
    rates: ratesFor(deps, channels, { ...existing?.rates, ...file?.rate, ...request.rates }),
    existing,
    ...(fileHash ? { fileHash } : {}),
  };
}

async function decidedCustomers(deps: PlanDeps, promoId: string): Promise<Set<string>> {
  const rows = await deps.models.PromoDelivery.find({ promoId }, { customerId: 1 }).lean();
  return new Set(rows.map((d) => String(d.customerId)));
}

export interface Assignment {
  /** Per channel, the customers it reaches first, in a stable order (by id), as read then. */
  lanes: Map<string, Standing[]>;
  /** Consented customers no enabled channel of the promo reaches. */
  unreachable: Types.ObjectId[];
  /**
   * The snapshot's customers never considered (erased, no consent) whom no run decided, by
   * reason. On a resume the first run's counts are not these: a customer it left undecided who
   * opted out (or was erased) since is excluded now and was counted nowhere; one it excluded who
   * consented since is sent now and was counted twice; one it decided who opted out since is
   * counted by the delivery.
   */
  excluded: Record<string, number>;
}

/** Customers put in lanes together (Redis look-ups for the channel). */
const CHUNK = 500;

/**
 * The audience snapshot's consented customers not yet decided on, each put in the lane of the
 * first channel that reaches them. Only the channel is decided here; the chat is looked up again
 * at send time, and what changed since the snapshot is read then (opt-out-watch.ts).
 */
export async function assignLanes(
  deps: PlanDeps,
  promoId: string,
  channels: string[],
  audience: Pick<AudienceSnapshot, 'consented' | 'excludedIds'>,
): Promise<Assignment> {
  const decided = await decidedCustomers(deps, promoId);
  const excluded: Record<string, number> = {};
  for (const [id, reason] of audience.excludedIds)
    if (!decided.has(id)) excluded[reason] = (excluded[reason] ?? 0) + 1;
  const rows = audience.consented.filter((c) => !decided.has(String(c._id)));
  const lanes = new Map<string, Standing[]>(channels.map((c) => [c, []]));
  const unreachable: Types.ObjectId[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const reach = await Promise.all(chunk.map((c) => firstReachable(deps, channels, c)));
    chunk.forEach((c, j) => {
      const r = reach[j];
      if (r) lanes.get(r.channel)?.push(c);
      else unreachable.push(c._id);
    });
  }
  return { lanes, unreachable, excluded };
}

/** Consented audience members with no delivery yet (0 when a run got through everyone). */
export async function undecidedCount(deps: PlanDeps, promoId: string, base: CustomerFilter): Promise<number> {
  const decided = await decidedCustomers(deps, promoId);
  const ids = await deps.models.Customer.find(consentedFilter(base), { _id: 1 }).lean();
  return ids.filter((c) => !decided.has(String(c._id))).length;
}
