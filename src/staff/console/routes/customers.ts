import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../../../audit/record.js';
import type { Customer, Models, PrivacyRequest, ServiceOrder } from '../../../db/index.js';
import { normalizePhone } from '../../../identity/phone.js';
import { maskPhone } from '../../../privacy/index.js';
import { normalizeRef, OPEN_STATUSES, RequestError } from '../../../requests/index.js';
import { staffActor } from '../../accounts.js';
import type { ConsoleDeps } from '../deps.js';
import { sendPage } from '../deps.js';
import { type Lang, texts } from '../i18n.js';
import { maskValue } from '../masking.js';
import {
  type CustomerView,
  customerPage,
  customerSearchPage,
  PERSONAL_FIELDS,
  type PersonalField,
  REVEAL_PURPOSES,
} from '../views/customer.js';
import { errorPage } from '../views/error.js';

const customerNoSchema = z.string().regex(/^[A-Za-z0-9-]{1,32}$/);
const revealBody = z.object({ purpose: z.enum(REVEAL_PURPOSES) });
const searchQuery = z.object({ q: z.string().trim().max(40).default('') });
const liftBody = z.object({ reason: z.string().max(2000).default('') });
/** After a lift the page is fetched again (POST-redirect-GET), naming the request it created. */
const liftedQuery = z.object({ lifted: z.string().max(20).optional().catch(undefined) });

/** The customer view reads a customer, their orders and requests; every look is audited. */
export type CustomerRouteDeps = Pick<ConsoleDeps, 'liftRestriction' | 'logger'> & {
  models: Pick<Models, 'Customer' | 'ServiceOrder' | 'PrivacyRequest' | 'AuditEvent'>;
};

/**
 * The customer view: personal data masked until a staff member asks to see it with a purpose.
 * Opening the page and showing the data are both audited (who, which customer, why); the audit
 * event holds field names and the purpose, never the values.
 */
export const customerRoutes =
  ({ liftRestriction, ...deps }: CustomerRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const { Customer: Customers, ServiceOrder: Orders, PrivacyRequest: Requests } = deps.models;

    async function load(
      customerNo: string,
      reveal: boolean,
      lang: Lang,
    ): Promise<{ view: CustomerView; id: string } | undefined> {
      const c = await Customers.findOne({ customerNo }).lean<Customer>();
      if (!c) return undefined;
      const [orders, requests] = await Promise.all([
        Orders.find({ customerId: c._id }).sort({ scheduledAt: -1 }).limit(100).lean<ServiceOrder[]>(),
        Requests.find(
          { customerId: c._id },
          { ref: 1, type: 1, status: 1, createdAt: 1, 'changes.action': 1 },
        )
          .sort({ createdAt: -1 })
          .limit(50)
          .lean<PrivacyRequest[]>(),
      ]);
      const personal = Object.fromEntries(
        PERSONAL_FIELDS.map((f) => {
          const value = c[f];
          return [f, reveal ? (value ?? '—') : maskValue(f, value, lang)];
        }),
      ) as Record<PersonalField, string>;
      return {
        id: String(c._id),
        view: {
          customerNo: c.customerNo,
          erasedAt: c.erasedAt,
          restriction: c.processingRestriction,
          personal,
          area: c.area ?? undefined,
          revealed: reveal && !c.erasedAt,
          marketing: c.marketingConsent,
          consentHistory: (c.consentHistory ?? []).map((h) => ({
            granted: h.granted,
            at: h.at,
            source: h.source,
            channel: h.channel,
          })),
          orders: orders.map((o) => ({
            orderNo: o.orderNo,
            service: o.service,
            status: o.status,
            scheduledAt: o.scheduledAt,
            amount: o.amount,
            paymentStatus: o.paymentStatus,
            anonymized: Boolean(o.anonymizedAt),
          })),
          requests: requests.map((r) => ({
            ref: r.ref,
            type: r.type,
            status: r.status,
            createdAt: r.createdAt,
          })),
          liftPending: requests.find(
            (r) => r.type === 'restrict' && r.changes?.action === 'lift' && OPEN_STATUSES.includes(r.status),
          )?.ref,
        },
      };
    }

    const actor = (request: FastifyRequest) => staffActor(request.staff!.username);

    app.get('/console/customers', async (request, reply) => {
      const { q } = searchQuery.parse(request.query ?? {});
      if (!q) return sendPage(reply, customerSearchPage(request, { q: '', notFound: false }));
      let customerNo: string | undefined;
      const byNo = customerNoSchema.safeParse(q.toUpperCase());
      if (byNo.success)
        customerNo = (await Customers.findOne({ customerNo: byNo.data }, { customerNo: 1 }).lean())
          ?.customerNo;
      if (!customerNo) {
        const phone = normalizePhone(q);
        if (phone.ok) {
          // Looking someone up by phone number is itself access to personal data.
          await recordAudit(deps, {
            actor: actor(request),
            action: 'customer.searched',
            details: { by: 'phone', phone: maskPhone(phone.e164) },
            idempotencyKey: null,
          });
          customerNo = (await Customers.findOne({ phone: phone.e164 }, { customerNo: 1 }).lean())?.customerNo;
        }
      }
      if (customerNo) return reply.redirect(`/console/customers/${encodeURIComponent(customerNo)}`, 303);
      return sendPage(reply, customerSearchPage(request, { q, notFound: true }), 404);
    });

    app.get<{ Params: { customerNo: string } }>('/console/customers/:customerNo', async (request, reply) => {
      const no = customerNoSchema.safeParse(request.params.customerNo);
      const found = no.success ? await load(no.data, false, request.lang) : undefined;
      if (!found) return sendPage(reply, errorPage(request, 'notFound'), 404);
      await recordAudit(deps, {
        actor: actor(request),
        action: 'customer.viewed',
        customerId: found.id,
        details: { masked: true },
        idempotencyKey: null,
      });
      // The flash after a lift: only for a restrict request of this customer, so a link cannot make one up.
      const { lifted } = liftedQuery.parse(request.query ?? {});
      const ref = lifted ? normalizeRef(lifted) : undefined;
      const flash =
        ref && found.view.requests.some((r) => r.ref === ref && r.type === 'restrict')
          ? ({ kind: 'ok', text: texts[request.lang].restriction.lifted(ref) } as const)
          : undefined;
      return sendPage(reply, customerPage(request, found.view, flash));
    });

    app.post<{ Params: { customerNo: string } }>(
      '/console/customers/:customerNo/reveal',
      async (request, reply) => {
        const no = customerNoSchema.safeParse(request.params.customerNo);
        const body = revealBody.safeParse(request.body ?? {});
        if (!no.success || !body.success) return sendPage(reply, errorPage(request, 'invalid'), 400);
        const found = await load(no.data, true, request.lang);
        if (!found) return sendPage(reply, errorPage(request, 'notFound'), 404);
        if (found.view.erasedAt)
          return reply.redirect(`/console/customers/${encodeURIComponent(no.data)}`, 303);
        // Written before the data leaves the server: no record, no data.
        await recordAudit(deps, {
          actor: actor(request),
          action: 'customer.revealed',
          customerId: found.id,
          details: { fields: [...PERSONAL_FIELDS], purpose: body.data.purpose },
          idempotencyKey: null,
        });
        return sendPage(reply, customerPage(request, found.view));
      },
    );

    // UU PDP art. 11: staff lift a customer's restriction only with a reason the customer is told
    // (a `restrict` request, applied by the worker like the customer's own). Audited at once.
    app.post<{ Params: { customerNo: string } }>(
      '/console/customers/:customerNo/restriction/lift',
      async (request, reply) => {
        const no = customerNoSchema.safeParse(request.params.customerNo);
        const body = liftBody.safeParse(request.body ?? {});
        if (!no.success || !body.success) return sendPage(reply, errorPage(request, 'invalid'), 400);
        const found = await load(no.data, false, request.lang);
        if (!found) return sendPage(reply, errorPage(request, 'notFound'), 404);
        const r = texts[request.lang].restriction;
        try {
          const created = await liftRestriction({
            customerId: found.id,
            staff: actor(request),
            reason: body.data.reason,
          });
          await recordAudit(deps, {
            actor: actor(request),
            action: 'console.restriction.lift',
            ref: created.ref,
            customerId: found.id,
            details: { reasonLength: body.data.reason.trim().length },
          });
          // POST-redirect-GET: the page shows the lift pending, and reloading it does not post again.
          return reply.redirect(
            `/console/customers/${encodeURIComponent(no.data)}?lifted=${encodeURIComponent(created.ref)}`,
            303,
          );
        } catch (err) {
          if (!(err instanceof RequestError)) throw err;
          deps.logger.info({ code: err.code }, 'console restriction lift refused');
          await recordAudit(deps, {
            actor: actor(request),
            action: 'console.restriction.lift_refused',
            customerId: found.id,
            details: { code: err.code },
            idempotencyKey: null,
          });
          const text = err.code === 'INVALID_INPUT' ? r.reasonRequired : r.notRestricted;
          return sendPage(reply, customerPage(request, found.view, { kind: 'error', text }), 400);
        }
      },
    );
  };
