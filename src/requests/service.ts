import { isValidObjectId, Types } from 'mongoose';
import { z } from 'zod';
import { localeSchema } from '../catalogue/index.js';
import type { Config } from '../config/index.js';
import {
  type Models,
  type PrivacyRequest,
  REQUEST_TYPES,
  type RequestStatus,
  type RequestType,
} from '../db/index.js';
import type { Outbox } from '../outbound/index.js';
import { maskString } from '../privacy/index.js';
import type { QueueStore } from '../queues/options.js';
import {
  type CreatedRequest,
  type CreateRequestInput,
  RequestError,
  type RequestService,
  type RequestSummary,
  type StaffDecision,
  type StaffNotifier,
} from './api.js';
import { defaultFlagRules, evaluateFlags, type FlagDeps, type FlagRule } from './flags.js';
import { type Locale, type NoticeId, type NoticeParams, renderNotice, toLocale } from './notices.js';
import { parsePayload } from './payload.js';
import { createRequestQueue, enqueueRequest, type RequestQueue } from './queue.js';
import { newRef, normalizeRef } from './ref.js';
import { isStaffActor, type RestrictChanges } from './restriction.js';
import { closingUnset, ensureHistoryAudited, type TransitionDeps, transition } from './states.js';
import { bumpStatusVersion, cachedStatusList } from './status-cache.js';

export interface RequestServiceDeps {
  outbox: Outbox;
  staff?: StaffNotifier;
  /** The clock (tests move it). */
  now?: () => Date;
  /** Ref generator (tests force collisions). */
  newRef?: () => string;
  flagRules?: readonly FlagRule[];
  /** Share a queue (the worker component does); otherwise the service makes its own. */
  queue?: RequestQueue;
}

export interface RequestServiceImpl extends RequestService {
  /** Closes the queue the service made for itself. */
  close(): Promise<void>;
}

const createInputSchema = z.object({
  type: z.enum(REQUEST_TYPES),
  customerId: z
    .string()
    .refine((v) => isValidObjectId(v), 'not a customer id')
    .optional(),
  channel: z.string().min(1).max(32),
  chatId: z.string().min(1).max(128),
  locale: localeSchema,
  changes: z.record(z.string(), z.string()).optional(),
  proof: z
    .object({
      words: z.string().max(200).optional(),
      messageId: z.string().max(128).optional(),
      promoId: z.string().max(64).optional(),
    })
    .optional(),
  actor: z.string().min(1).max(80).optional(),
  toldInChat: z.boolean().optional(),
});

const decisionSchema = z.object({
  ref: z.string().min(1).max(20),
  outcome: z.enum(['approved', 'rejected']),
  staff: z.string().min(1).max(80),
  reason: z.string().trim().max(500).optional(),
});

/** Only an unsubscribe may come from a sender who is not (or no longer) a known customer. */
const NEEDS_CUSTOMER: readonly RequestType[] = ['access', 'update', 'erase', 'subscribe', 'restrict'];
const MAX_REF_TRIES = 5;

/** Where a customer reaches the business: said when a request fails or is rejected. */
export interface BusinessContact {
  config: { business: Pick<Config['business'], 'phone' | 'email'> };
}

export const contactLine = (ctx: BusinessContact) =>
  `${ctx.config.business.phone} / ${ctx.config.business.email}`;

export function slaHoursFor(ctx: { config: Pick<Config, 'slaHours'> }, type: RequestType): number {
  return type === 'subscribe' ? ctx.config.slaHours.unsubscribe : ctx.config.slaHours[type];
}

/** Who asks matters for a lift: only staff give a reason, and they must. */
function checkRestrictActor(changes: RestrictChanges, actor: string | undefined): void {
  const staff = isStaffActor(actor ?? 'customer');
  if (changes.action === 'lift' && staff && !changes.staffReason)
    throw new RequestError('INVALID_INPUT', 'Staff lifting a restriction must give the customer a reason.');
  if (changes.action === 'lift' && !staff && changes.staffReason)
    throw new RequestError('INVALID_INPUT', 'Only staff give a reason for lifting a restriction.');
}

export function toSummary(r: PrivacyRequest): RequestSummary {
  return {
    ref: r.ref,
    type: r.type,
    status: r.status,
    createdAt: r.createdAt,
    dueAt: r.dueAt,
    ...(r.status === 'rejected' && r.decision?.reason ? { reason: r.decision.reason } : {}),
  };
}

// `ref` is the only unique key a new request can collide on (FerretDB does not name the index).
const isDuplicateRef = (err: unknown) => (err as { code?: unknown }).code === 11000;

/**
 * What the service reads of the app: the request, customer, order and audit collections, Redis
 * (its queue, the request lock, the status cache), the server's shape, the logger and metrics, and
 * of the settings the flag limit, the deadlines, the business's contact and the Redis prefix.
 */
export type RequestServiceContext = TransitionDeps &
  QueueStore &
  FlagDeps &
  BusinessContact & {
    models: Pick<Models, 'Customer'>;
    config: Pick<Config, 'slaHours'>;
  };

export function createRequestService(
  ctx: RequestServiceContext,
  deps: RequestServiceDeps,
): RequestServiceImpl {
  const now = deps.now ?? (() => new Date());
  const makeRef = deps.newRef ?? newRef;
  const rules = deps.flagRules ?? defaultFlagRules;
  const ownQueue = deps.queue ? undefined : createRequestQueue(ctx);
  const queue = deps.queue ?? (ownQueue as RequestQueue);
  const log = ctx.logger.child({ component: 'requests' });
  const { PrivacyRequest, Customer } = ctx.models;

  const notify = async <K extends NoticeId>(
    r: Pick<PrivacyRequest, 'ref' | 'channel' | 'chatId'>,
    locale: Locale,
    id: K,
    params: NoticeParams<K>,
  ) => {
    await deps.outbox.send(r.channel, r.chatId, [{ kind: 'text', text: renderNotice(id, locale, params) }], {
      requestRef: r.ref,
      dedupeKey: `${r.ref}:${id}`,
      purpose: 'notification',
    });
  };

  const bestEffort = async (ref: string, what: string, fn: () => Promise<unknown> | undefined) => {
    try {
      await fn();
    } catch (err) {
      log.error({ ref, err: { message: maskString((err as Error).message) } }, `${what} failed`);
    }
  };

  /** MongoDB already holds the request; a lost enqueue is repaired by the reconciler. */
  const enqueue = async (r: Pick<PrivacyRequest, 'ref' | 'type'>) => {
    try {
      await enqueueRequest(queue, r);
    } catch (err) {
      log.warn(
        { ref: r.ref, err: { message: maskString((err as Error).message) } },
        'enqueue failed; reconciler will retry',
      );
    }
  };

  async function insertWithFreshRef(doc: Omit<PrivacyRequest, '_id' | 'ref' | 'updatedAt' | 'attempts'>) {
    for (let i = 0; ; i++) {
      const ref = makeRef();
      try {
        const created = await PrivacyRequest.create({ ...doc, ref });
        return created.toObject() as PrivacyRequest;
      } catch (err) {
        if (!isDuplicateRef(err) || i + 1 >= MAX_REF_TRIES) throw err;
        log.debug({ attempt: i + 1 }, 'request ref collision; drawing another');
      }
    }
  }

  async function loadOwned(customerId: string, ref: string) {
    const normalized = normalizeRef(ref);
    if (!normalized || !isValidObjectId(customerId)) return undefined;
    return (
      (await PrivacyRequest.findOne({
        ref: normalized,
        customerId: new Types.ObjectId(customerId),
      }).lean<PrivacyRequest>()) ?? undefined
    );
  }

  return {
    async create(raw: CreateRequestInput): Promise<CreatedRequest> {
      const parsed = createInputSchema.safeParse(raw);
      if (!parsed.success)
        throw new RequestError(
          'INVALID_INPUT',
          `Invalid request: ${parsed.error.issues[0]?.message ?? 'input'}.`,
        );
      const input = parsed.data;
      if (NEEDS_CUSTOMER.includes(input.type) && !input.customerId)
        throw new RequestError('NOT_VERIFIED', `A ${input.type} request needs a verified customer.`);

      const customer = input.customerId
        ? await Customer.findById(input.customerId, { phone: 1, erasedAt: 1 }).lean()
        : null;
      if (input.customerId && (!customer || customer.erasedAt))
        throw new RequestError('NOT_FOUND', 'No such customer.');

      // The payload is the union by type (payload.ts); consent proof travels in `changes` too.
      const given =
        input.type === 'unsubscribe' || input.type === 'subscribe'
          ? input.proof && { ...input.proof, ...(input.toldInChat ? { toldInChat: true } : {}) }
          : input.changes;
      const payload = parsePayload(input.type, given);
      if (!payload.ok)
        throw new RequestError(
          'INVALID_INPUT',
          `Invalid ${input.type === 'restrict' ? 'restriction' : 'change'}: ${payload.message}.`,
        );
      if (payload.payload.type === 'restrict') checkRestrictActor(payload.payload.changes, input.actor);
      const changes = 'changes' in payload.payload ? payload.payload.changes : undefined;

      const at = now();
      const flags = await evaluateFlags(
        {
          ctx,
          type: input.type,
          customer,
          changes: changes as Record<string, string> | undefined,
          now: at,
        },
        rules,
      );
      const status: RequestStatus = flags.length > 0 ? 'pending_approval' : 'queued';
      const actor = input.actor ?? 'customer';
      const dueAt = new Date(at.getTime() + slaHoursFor(ctx, input.type) * 3600_000);

      const request = await insertWithFreshRef({
        type: input.type,
        ...(customer ? { customerId: customer._id } : {}),
        channel: input.channel,
        chatId: input.chatId,
        locale: input.locale,
        status,
        ...(changes ? { changes } : {}),
        flags,
        dueAt,
        reminders: [],
        history: [{ at, from: null, to: status, actor }],
        createdAt: at,
      });
      // A flagged request waits for staff, maybe for days: its event is written now. A queued one
      // is in `history` until the worker closes it and writes every step's event in one insert
      // (states.ts, `auditClosing`): a round trip saved, and whoever closes it writes this one too.
      if (status === 'pending_approval') await ensureHistoryAudited(ctx, request);
      await bumpStatusVersion(ctx, request.customerId);
      log.info(
        { ref: request.ref, type: request.type, status, flags: flags.map((f) => f.code) },
        'request created',
      );
      ctx.metrics?.requestsCreated.inc({ type: request.type, status });

      if (status === 'queued') {
        await enqueue(request);
      } else {
        // Saved and waiting for staff either way; the SLA reminders catch a notice that got lost.
        await bestEffort(request.ref, 'staff notice', () => deps.staff?.requestFlagged(request.ref));
        if (!input.toldInChat)
          await bestEffort(request.ref, 'customer notice', () =>
            notify(request, input.locale, 'flaggedForReview', { ref: request.ref }),
          );
      }
      return { ref: request.ref, status, flagged: flags.length > 0, flags, dueAt };
    },

    async listForCustomer(customerId, limit = 5) {
      if (!isValidObjectId(customerId)) return [];
      const n = Math.min(Math.max(1, limit), 50);
      return cachedStatusList(ctx, customerId, n, async () => {
        const rows = await PrivacyRequest.find({ customerId: new Types.ObjectId(customerId) })
          .sort({ createdAt: -1 })
          .limit(n)
          .lean<PrivacyRequest[]>();
        return rows.map(toSummary);
      });
    },

    async findForCustomer(customerId, ref) {
      const r = await loadOwned(customerId, ref);
      return r ? toSummary(r) : undefined;
    },

    async cancel(customerId, ref) {
      const r = await loadOwned(customerId, ref);
      if (!r) throw new RequestError('NOT_FOUND', `No request ${ref} for this customer.`);
      if (r.status !== 'pending_approval' && r.status !== 'queued')
        throw new RequestError(
          'ILLEGAL_TRANSITION',
          `Request ${r.ref} is ${r.status} and can no longer be cancelled.`,
        );
      const updated = await transition(ctx, {
        ref: r.ref,
        id: r._id,
        from: r.status,
        to: 'cancelled',
        actor: 'customer',
        at: now(),
        unset: closingUnset(r.type),
      });
      if (r.status === 'queued') {
        // A waiting job would skip the cancelled request anyway; removing it keeps the queue honest.
        await queue.remove(r.ref).catch(() => 0);
      }
      return toSummary(updated);
    },

    async decide(raw: StaffDecision) {
      const parsed = decisionSchema.safeParse(raw);
      if (!parsed.success)
        throw new RequestError(
          'INVALID_INPUT',
          `Invalid decision: ${parsed.error.issues[0]?.message ?? 'input'}.`,
        );
      const d = parsed.data;
      const ref = normalizeRef(d.ref);
      if (!ref) throw new RequestError('NOT_FOUND', `No request ${d.ref}.`);
      if (d.outcome === 'rejected' && !d.reason)
        throw new RequestError('INVALID_INPUT', 'A rejection needs a reason for the customer.');

      const current = await PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>();
      if (!current) throw new RequestError('NOT_FOUND', `No request ${ref}.`);
      if (current.status !== 'pending_approval') {
        if (current.decision?.outcome)
          throw new RequestError(
            'ALREADY_DECIDED',
            `Request ${ref} was already ${current.decision.outcome}.`,
          );
        throw new RequestError(
          'ILLEGAL_TRANSITION',
          `Request ${ref} is ${current.status}, not waiting for staff.`,
        );
      }
      const at = now();
      const decision = { outcome: d.outcome, by: d.staff, at, ...(d.reason ? { reason: d.reason } : {}) };
      let updated: PrivacyRequest;
      try {
        updated = await transition(ctx, {
          ref,
          id: current._id,
          from: 'pending_approval',
          to: d.outcome === 'approved' ? 'queued' : 'rejected',
          actor: d.staff,
          at,
          set: { decision },
          ...(d.outcome === 'rejected' ? { unset: closingUnset(current.type) } : {}),
          details: { outcome: d.outcome, reasonLength: d.reason?.length ?? 0 },
        });
      } catch (err) {
        // Another staff member decided in the meantime.
        if (err instanceof RequestError && err.code === 'ILLEGAL_TRANSITION')
          throw new RequestError('ALREADY_DECIDED', `Request ${ref} was decided by someone else.`);
        throw err;
      }
      log.info({ ref, outcome: d.outcome }, 'request decided');
      const locale = toLocale(updated.locale);
      // The decision stands once recorded; a notice that cannot be queued is logged, not thrown.
      if (d.outcome === 'approved') {
        await enqueue(updated);
        await bestEffort(ref, 'customer notice', () => notify(updated, locale, 'approved', { ref }));
      } else {
        await bestEffort(ref, 'customer notice', () =>
          notify(updated, locale, 'rejected', { ref, reason: d.reason ?? '', contact: contactLine(ctx) }),
        );
      }
      return toSummary(updated);
    },

    async close() {
      await ownQueue?.close();
    },
  };
}
