import type { FastifyRequest } from 'fastify';
import type {
  OrderStatus,
  PaymentStatus,
  ProcessingRestriction,
  RequestStatus,
  RequestType,
} from '../../../db/index.js';
import { formatDateTime, formatRupiah, texts } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, page } from './layout.js';

export const PERSONAL_FIELDS = ['name', 'phone', 'email', 'address', 'paymentMethod'] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number];
export const REVEAL_PURPOSES = ['verify_request', 'contact_customer', 'fix_data', 'other'] as const;

export interface CustomerView {
  customerNo: string;
  erasedAt: Date | null | undefined;
  /** Masked, or clear after the audited "show" action. */
  personal: Record<PersonalField, string>;
  area: string | undefined;
  revealed: boolean;
  marketing: { granted: boolean; updatedAt: Date; source: string };
  consentHistory: { granted: boolean; at: Date; source: string; channel?: string | undefined }[];
  orders: {
    orderNo: string;
    service: string;
    status: OrderStatus;
    scheduledAt: Date;
    amount: number;
    paymentStatus: PaymentStatus;
    anonymized: boolean;
  }[];
  requests: { ref: string; type: RequestType; status: RequestStatus; createdAt: Date }[];
  /** UU PDP art. 11: shown as a badge, with the staff-only lift form. */
  restriction?: ProcessingRestriction | null | undefined;
  /** A staff lift asked and not yet applied: shown instead of the lift form, so it is not asked twice. */
  liftPending?: string | undefined;
}

export type CustomerNotice = { kind: 'ok' | 'error'; text: string };

/** The badge staff see on a restricted customer, on their requests and in the queue. */
export function restrictionBadge(request: FastifyRequest, scope: ProcessingRestriction['scope']): SafeHtml {
  const r = texts[request.lang].restriction;
  return html`<span class="badge flag restricted" title="${r.scopes[scope]}">⛔ ${r.badge}</span>`;
}

function restrictionCard(request: FastifyRequest, v: CustomerView): SafeHtml | '' {
  const held = v.restriction;
  if (!held?.scope || v.erasedAt) return '';
  const r = texts[request.lang].restriction;
  return html`<section class="card" id="restriction">
<h2>${r.badge}</h2>
<p>${r.since(r.scopes[held.scope], formatDateTime(held.since, request.lang))}</p>
${held.reason ? html`<p>${r.reason}: ${v.revealed ? html`<q id="restriction-reason">${held.reason}</q>` : html`<span class="muted">***</span>`}</p>` : ''}
<h3>${r.liftHeading}</h3>
${
  v.liftPending
    ? html`<p id="lift-pending">${r.liftPending(v.liftPending)}</p>`
    : html`<p class="muted">${r.liftHint}</p>
<form method="post" action="/console/customers/${v.customerNo}/restriction/lift" data-confirm="${r.liftConfirm}">
  ${csrfField(request)}
  <label>${r.liftReason}<textarea name="reason" required minlength="3" maxlength="500"></textarea></label>
  <button type="submit" class="secondary" id="lift-restriction">${r.liftButton}</button>
</form>`
}
</section>`;
}

export function customerSearchPage(
  request: FastifyRequest,
  view: { q: string; notFound: boolean },
): SafeHtml {
  const c = texts[request.lang].customer;
  return page(request, {
    title: c.search,
    active: 'customers',
    notice: view.notFound ? { kind: 'error', text: c.notFound } : undefined,
    body: html`<h1>${c.search}</h1>
<form class="filters card" method="get" action="/console/customers">
  <label>${c.searchHint}<input name="q" value="${view.q}" maxlength="40" required inputmode="search"></label>
  <button type="submit">${c.searchButton}</button>
</form>`,
  });
}

export function customerPage(request: FastifyRequest, v: CustomerView, notice?: CustomerNotice): SafeHtml {
  const t = texts[request.lang];
  const c = t.customer;
  const lang = request.lang;
  const erased = Boolean(v.erasedAt);
  const value = (field: PersonalField) =>
    erased
      ? html`<span class="muted">${c.erasedValue}</span>`
      : html`<span data-field="${field}">${v.personal[field]}</span>`;
  const reveal =
    !erased && !v.revealed
      ? html`<form method="post" action="/console/customers/${v.customerNo}/reveal" class="filters">
  ${csrfField(request)}
  <label>${c.purpose}<select name="purpose" required>${REVEAL_PURPOSES.map(
    (p) => html`<option value="${p}">${c.purposes[p]}</option>`,
  )}</select></label>
  <button type="submit" class="secondary" id="reveal">${c.reveal}</button>
</form>`
      : '';
  return page(request, {
    title: c.heading(v.customerNo),
    active: 'customers',
    notice: notice
      ? notice
      : erased
        ? { kind: 'ok', text: c.erased(formatDateTime(v.erasedAt, lang)) }
        : v.revealed
          ? { kind: 'ok', text: c.revealed }
          : undefined,
    body: html`<h1>${c.heading(v.customerNo)}${erased ? html` <span class="badge" id="erased">${c.erasedValue}</span>` : ''}${!erased && v.restriction?.scope ? html` ${restrictionBadge(request, v.restriction.scope)}` : ''}</h1>
${restrictionCard(request, v)}
<section class="card" id="personal">
${erased || v.revealed ? '' : html`<p class="muted">${c.masked}</p>`}
<dl class="fields">
  <dt>${c.name}</dt><dd>${value('name')}</dd>
  <dt>${c.phone}</dt><dd>${value('phone')}</dd>
  <dt>${c.email}</dt><dd>${value('email')}</dd>
  <dt>${c.address}</dt><dd>${value('address')}</dd>
  <dt>${c.paymentMethod}</dt><dd>${value('paymentMethod')}</dd>
  <dt>${c.area}</dt><dd>${erased ? html`<span class="muted">${c.erasedValue}</span>` : (v.area ?? '—')}</dd>
  <dt>${c.marketing}</dt><dd>${v.marketing.granted ? c.granted : c.withdrawn} <span class="muted">(${v.marketing.source}, ${formatDateTime(v.marketing.updatedAt, lang)})</span></dd>
</dl>
${reveal}
</section>
<section class="card">
<h2>${c.requests}</h2>
${
  v.requests.length === 0
    ? html`<p class="muted">${c.none}</p>`
    : html`<table class="responsive"><thead><tr><th>${t.queue.ref}</th><th>${t.queue.type}</th><th>${t.queue.status}</th><th>${t.queue.created}</th></tr></thead><tbody>${v.requests.map(
        (r) => html`<tr>
  <td data-label="${t.queue.ref}"><a href="/console/requests/${r.ref}">${r.ref}</a></td>
  <td data-label="${t.queue.type}">${t.type[r.type]}</td>
  <td data-label="${t.queue.status}"><span class="badge ${r.status}">${t.status[r.status]}</span></td>
  <td data-label="${t.queue.created}">${formatDateTime(r.createdAt, lang)}</td>
</tr>`,
      )}</tbody></table>`
}
<h2>${c.orders}</h2>
${
  v.orders.length === 0
    ? html`<p class="muted">${c.none}</p>`
    : html`<table class="responsive"><thead><tr><th>${c.orderNo}</th><th>${c.service}</th><th>${c.orderStatus}</th><th>${c.scheduled}</th><th>${c.amount}</th><th>${c.payment}</th></tr></thead><tbody>${v.orders.map(
        (o) => html`<tr>
  <td data-label="${c.orderNo}">${o.orderNo}${o.anonymized ? html` <span class="badge">${c.erasedValue}</span>` : ''}</td>
  <td data-label="${c.service}">${o.service}</td>
  <td data-label="${c.orderStatus}">${c.orderStatuses[o.status]}</td>
  <td data-label="${c.scheduled}">${formatDateTime(o.scheduledAt, lang)}</td>
  <td data-label="${c.amount}">${formatRupiah(o.amount, lang)}</td>
  <td data-label="${c.payment}">${c.paymentStatuses[o.paymentStatus]}</td>
</tr>`,
      )}</tbody></table>`
}
<h2>${c.consentHistory}</h2>
${
  v.consentHistory.length === 0
    ? html`<p class="muted">${c.none}</p>`
    : html`<ul>${v.consentHistory.map(
        (h) =>
          html`<li>${formatDateTime(h.at, lang)}: ${h.granted ? c.granted : c.withdrawn} · ${h.source}${h.channel ? ` · ${h.channel}` : ''}</li>`,
      )}</ul>`
}
</section>`,
  });
}
