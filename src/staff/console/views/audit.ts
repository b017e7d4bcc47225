import type { FastifyRequest } from 'fastify';
import { formatDateTime, texts } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export interface AuditFilters {
  ref: string;
  actor: string;
  action: string;
  customer: string;
  from: string;
  to: string;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  ref: string | undefined;
  customerNo: string | undefined;
  details: string;
}

export function auditPage(
  request: FastifyRequest,
  view: { filters: AuditFilters; rows: AuditRow[]; olderHref: string | undefined },
): SafeHtml {
  const a = texts[request.lang].audit;
  const f = view.filters;
  const input = (name: keyof AuditFilters, label: string, type = 'text') =>
    html`<label>${label}<input name="${name}" type="${type}" value="${f[name]}" maxlength="80"></label>`;
  return page(request, {
    title: a.heading,
    active: 'audit',
    body: html`<h1>${a.heading}</h1>
<form class="filters" method="get" action="/console/audit">
  ${input('ref', a.ref)}${input('customer', a.customer)}${input('actor', a.actor)}${input('action', a.action)}
  ${input('from', a.from, 'date')}${input('to', a.to, 'date')}
  <button type="submit">${a.search}</button>
</form>
${
  view.rows.length === 0
    ? html`<p class="card">${a.empty}</p>`
    : html`<table class="responsive" id="audit">
<thead><tr><th>${a.at}</th><th>${a.actor}</th><th>${a.action}</th><th>${a.ref}</th><th>${a.customer}</th><th>${a.details}</th></tr></thead>
<tbody>${view.rows.map(
        (r) => html`<tr>
  <td data-label="${a.at}">${formatDateTime(r.at, request.lang)}</td>
  <td data-label="${a.actor}">${r.actor}</td>
  <td data-label="${a.action}"><code>${r.action}</code></td>
  <td data-label="${a.ref}">${r.ref ? html`<a href="/console/requests/${r.ref}">${r.ref}</a>` : ''}</td>
  <td data-label="${a.customer}">${r.customerNo ? html`<a href="/console/customers/${r.customerNo}">${r.customerNo}</a>` : ''}</td>
  <td data-label="${a.details}"><pre>${r.details}</pre></td>
</tr>`,
      )}</tbody>
</table>`
}
${view.olderHref ? html`<p><a href="${view.olderHref}">${a.older}</a></p>` : ''}`,
  });
}
