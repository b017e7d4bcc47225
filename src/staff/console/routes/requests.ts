import type { FastifyPluginAsync } from 'fastify';
import { Types } from 'mongoose';
import { z } from 'zod';
import { recordAudit } from '../../../audit/record.js';
import { type Models, type PrivacyRequest, REQUEST_STATUSES, REQUEST_TYPES } from '../../../db/index.js';
import { maskDetails, maskName } from '../../../privacy/index.js';
import { normalizeRef, OPEN_STATUSES, RequestError } from '../../../requests/index.js';
import { staffActor } from '../../accounts.js';
import type { ConsoleDeps } from '../deps.js';
import { sendPage } from '../deps.js';
import type { Lang } from '../i18n.js';
import { maskedChanges } from '../masking.js';
import { errorPage } from '../views/error.js';
import { type QueueFilters, type QueueRow, queuePage } from '../views/queue.js';
import { type RequestDetail, type RequestNotice, requestPage } from '../views/request.js';

const QUEUE_LIMIT = 300;

const queueQuery = z.object({
  status: z
    .enum(['open', 'all', ...REQUEST_STATUSES])
    .catch('open')
    .default('open'),
  type: z
    .enum(['', ...REQUEST_TYPES])
    .catch('')
    .default(''),
});
const decisionBody = z.object({
  outcome: z.enum(['approved', 'rejected']),
  reason: z.string().trim().max(500).optional(),
});
const NOTICES = ['approved', 'rejected', 'alreadyDecided', 'reasonRequired'] as const;
const noticeQuery = z.object({ notice: z.enum(NOTICES).optional().catch(undefined) });

const isOpen = (status: PrivacyRequest['status']) => OPEN_STATUSES.includes(status);

/** The queue and detail read requests and their customers; decisions go through the request service. */
export type RequestRouteDeps = Pick<ConsoleDeps, 'requests' | 'now'> & {
  models: Pick<Models, 'PrivacyRequest' | 'Customer' | 'AuditEvent'>;
};

/**
 * The request queue (overdue first, then by deadline), one request's detail with its history,
 * and the decision. The same data as JSON under /console/api for scripts.
 */
export const requestRoutes =
  ({ requests, now, ...deps }: RequestRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const { PrivacyRequest, Customer } = deps.models;

    async function customerNos(ids: (Types.ObjectId | null | undefined)[]) {
      const unique = [...new Set(ids.filter((id): id is Types.ObjectId => Boolean(id)).map(String))];
      if (unique.length === 0) return new Map<string, { customerNo: string; restricted: boolean }>();
      const rows = await Customer.find(
        { _id: { $in: unique.map((id) => new Types.ObjectId(id)) } },
        { customerNo: 1, processingRestriction: 1 },
      ).lean();
      return new Map(
        rows.map((c) => [
          String(c._id),
          { customerNo: c.customerNo, restricted: Boolean(c.processingRestriction?.scope) },
        ]),
      );
    }

    async function loadQueue(filters: QueueFilters) {
      const at = now();
      const filter: Record<string, unknown> = {};
      if (filters.status === 'open') filter.status = { $in: OPEN_STATUSES };
      else if (filters.status !== 'all') filter.status = filters.status;
      if (filters.type) filter.type = filters.type;
      const docs = await PrivacyRequest.find(filter, { changes: 0, chatId: 0, history: 0 })
        .sort({ dueAt: 1 })
        .limit(QUEUE_LIMIT)
        .lean<PrivacyRequest[]>();
      const nos = await customerNos(docs.map((d) => d.customerId));
      const rows: QueueRow[] = docs.map((d) => {
        const open = isOpen(d.status);
        return {
          ref: d.ref,
          type: d.type,
          status: d.status,
          flags: d.flags.map((f) => f.code),
          customerNo: d.customerId ? nos.get(String(d.customerId))?.customerNo : undefined,
          restricted: d.customerId ? nos.get(String(d.customerId))?.restricted === true : false,
          createdAt: d.createdAt,
          dueAt: d.dueAt,
          open,
          overdue: open && d.dueAt.getTime() < at.getTime(),
        };
      });
      // Overdue first; within each group the nearest deadline first (the query's order, kept by a stable sort).
      rows.sort((a, b) => Number(b.overdue) - Number(a.overdue));
      return { rows, overdue: rows.filter((r) => r.overdue).length, now: at };
    }

    async function loadDetail(rawRef: string, lang: Lang): Promise<RequestDetail | undefined> {
      const ref = normalizeRef(rawRef);
      if (!ref) return undefined;
      const d = await PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>();
      if (!d) return undefined;
      const customer = d.customerId
        ? await Customer.findById(d.customerId, {
            customerNo: 1,
            name: 1,
            erasedAt: 1,
            processingRestriction: 1,
          }).lean()
        : null;
      return {
        ref: d.ref,
        type: d.type,
        status: d.status,
        channel: d.channel,
        locale: d.locale,
        customerNo: customer?.customerNo,
        maskedName: customer?.name && !customer.erasedAt ? maskName(customer.name) : undefined,
        restriction: customer?.processingRestriction?.scope,
        flags: d.flags,
        changes: maskedChanges(d.changes, lang),
        decision: d.decision,
        history: d.history,
        result: d.result ? (maskDetails(d.result) as Record<string, unknown>) : d.result,
        createdAt: d.createdAt,
        dueAt: d.dueAt,
        open: isOpen(d.status),
      };
    }

    app.get('/console/requests', async (request, reply) => {
      const filters = queueQuery.parse(request.query ?? {});
      const view = await loadQueue(filters);
      return sendPage(reply, queuePage(request, { ...view, filters }));
    });

    app.get<{ Params: { ref: string } }>('/console/requests/:ref', async (request, reply) => {
      const detail = await loadDetail(request.params.ref, request.lang);
      if (!detail) return sendPage(reply, errorPage(request, 'notFound'), 404);
      const { notice } = noticeQuery.parse(request.query ?? {});
      return sendPage(reply, requestPage(request, { detail, now: now(), notice }));
    });

    app.post<{ Params: { ref: string } }>('/console/requests/:ref/decision', async (request, reply) => {
      const staff = request.staff!;
      const ref = normalizeRef(request.params.ref);
      const parsed = decisionBody.safeParse(request.body ?? {});
      if (!ref || !parsed.success) return sendPage(reply, errorPage(request, 'invalid'), 400);
      const { outcome, reason } = parsed.data;
      const back = (notice: RequestNotice) =>
        reply.redirect(`/console/requests/${ref}?notice=${notice}`, 303);
      if (outcome === 'rejected' && !reason) return back('reasonRequired');
      try {
        // The service writes the transition and its audit event (actor staff:<username>).
        await requests.decide({
          ref,
          outcome,
          staff: staffActor(staff.username),
          ...(reason ? { reason } : {}),
        });
        return back(outcome);
      } catch (err) {
        if (!(err instanceof RequestError)) throw err;
        if (err.code === 'NOT_FOUND') return sendPage(reply, errorPage(request, 'notFound'), 404);
        await recordAudit(deps, {
          actor: staffActor(staff.username),
          action: 'console.decision.refused',
          ref,
          details: { outcome, code: err.code },
          idempotencyKey: null,
        });
        return back(err.code === 'INVALID_INPUT' ? 'reasonRequired' : 'alreadyDecided');
      }
    });

    // JSON for scripts and the future: the same masked data as the pages.
    app.get('/console/api/requests', async (request) => {
      const filters = queueQuery.parse(request.query ?? {});
      const view = await loadQueue(filters);
      return { now: view.now, overdue: view.overdue, requests: view.rows };
    });

    app.get<{ Params: { ref: string } }>('/console/api/requests/:ref', async (request, reply) => {
      const detail = await loadDetail(request.params.ref, request.lang);
      if (!detail) return reply.code(404).send({ code: 'NOT_FOUND', message: 'No such request.' });
      return detail;
    });
  };
