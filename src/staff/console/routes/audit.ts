import type { FastifyPluginAsync } from 'fastify';
import { Types } from 'mongoose';
import { z } from 'zod';
import { recordAudit } from '../../../audit/record.js';
import type { AuditEvent, Models } from '../../../db/index.js';
import { normalizeRef } from '../../../requests/index.js';
import { staffActor } from '../../accounts.js';
import { sendPage } from '../deps.js';
import { type AuditFilters, type AuditRow, auditPage } from '../views/audit.js';

const PAGE_SIZE = 100;
// A calendar day ("2026-99-99" or "2026-02-31" is no filter, as any other nonsense; it was a 500).
const isDay = (d: string) =>
  !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine(isDay)
  .or(z.literal(''))
  .catch('')
  .default('');
const text = z.string().trim().max(80).catch('').default('');
const auditQuery = z.object({
  ref: text,
  actor: text,
  action: text,
  customer: text,
  from: date,
  to: date,
  before: z
    .string()
    .regex(/^\d{13}\.[0-9a-f]{24}$/)
    .optional()
    .catch(undefined),
});

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Days are Jakarta days: what staff mean by "the 3rd".
const dayStart = (d: string) => new Date(`${d}T00:00:00+07:00`);

/** The audit log's search reads audit events and customers' numbers, and records the search. */
export type AuditRouteDeps = { models: Pick<Models, 'AuditEvent' | 'Customer'> };

/** Audit log search (admins). Searching is itself recorded, with the filters used. */
export const auditRoutes =
  (deps: AuditRouteDeps): FastifyPluginAsync =>
  async (app) => {
    app.get('/console/audit', { config: { access: 'admin' } }, async (request, reply) => {
      const q = auditQuery.parse(request.query ?? {});
      const filters: AuditFilters = {
        ref: q.ref,
        actor: q.actor,
        action: q.action,
        customer: q.customer,
        from: q.from,
        to: q.to,
      };
      const filter: Record<string, unknown> = {};
      if (q.ref) filter.requestRef = normalizeRef(q.ref) ?? q.ref;
      if (q.actor) filter.actor = { $regex: `^${escapeRegex(q.actor)}` };
      if (q.action) filter.action = { $regex: `^${escapeRegex(q.action)}` };
      let noMatch = false;
      if (q.customer) {
        const c = await deps.models.Customer.findOne(
          { customerNo: q.customer.toUpperCase() },
          { _id: 1 },
        ).lean();
        if (c) filter.customerId = c._id;
        else noMatch = true;
      }
      const at: Record<string, Date> = {};
      if (q.from) at.$gte = dayStart(q.from);
      if (q.to) at.$lt = new Date(dayStart(q.to).getTime() + 86_400_000);
      if (Object.keys(at).length > 0) filter.at = at;
      if (q.before) {
        const [ms, id] = q.before.split('.') as [string, string];
        const b = new Date(Number(ms));
        filter.$or = [{ at: { $lt: b } }, { at: b, _id: { $lt: new Types.ObjectId(id) } }];
      }

      await recordAudit(deps, {
        actor: staffActor(request.staff!.username),
        action: 'audit.searched',
        details: { filters: Object.fromEntries(Object.entries(filters).filter(([, v]) => v)) },
        idempotencyKey: null,
      });

      const events = noMatch
        ? []
        : await deps.models.AuditEvent.find(filter)
            .sort({ at: -1, _id: -1 })
            .limit(PAGE_SIZE)
            .lean<AuditEvent[]>();
      const ids = [...new Set(events.map((e) => (e.customerId ? String(e.customerId) : '')).filter(Boolean))];
      const customers = ids.length
        ? await deps.models.Customer.find(
            { _id: { $in: ids.map((id) => new Types.ObjectId(id)) } },
            { customerNo: 1 },
          ).lean()
        : [];
      const nos = new Map(customers.map((c) => [String(c._id), c.customerNo]));
      const rows: AuditRow[] = events.map((e) => ({
        id: String(e._id),
        at: e.at,
        actor: e.actor,
        action: e.action,
        ref: e.requestRef ?? undefined,
        customerNo: e.customerId ? nos.get(String(e.customerId)) : undefined,
        details: e.details && Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : '',
      }));
      const last = events[events.length - 1];
      let olderHref: string | undefined;
      if (events.length === PAGE_SIZE && last) {
        const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
        params.set('before', `${last.at.getTime()}.${String(last._id)}`);
        olderHref = `/console/audit?${params.toString()}`;
      }
      return sendPage(reply, auditPage(request, { filters, rows, olderHref }));
    });
  };
