import type { FastifyRequest } from 'fastify';
import { REQUEST_STATUSES, REQUEST_TYPES, type RequestStatus, type RequestType } from '../../../db/index.js';
import { formatDateTime, slaText, texts } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export interface QueueRow {
  ref: string;
  type: RequestType;
  status: RequestStatus;
  flags: string[];
  customerNo: string | undefined;
  /** The customer restricted processing (UU PDP art. 11): a badge on the row. */
  restricted?: boolean;
  createdAt: Date;
  dueAt: Date;
  open: boolean;
  overdue: boolean;
}

export interface QueueFilters {
  status: 'open' | 'all' | RequestStatus;
  type: RequestType | '';
}

/** The countdown element; console.js keeps it current. Closed requests show no countdown. */
export function slaCell(request: FastifyRequest, dueAt: Date, open: boolean, now: Date): SafeHtml {
  if (!open) return html`<span class="muted">${texts[request.lang].sla.closed}</span>`;
  const late = dueAt.getTime() < now.getTime();
  return html`<time class="sla${late ? ' late' : ''}" datetime="${dueAt.toISOString()}" data-due="${dueAt.toISOString()}" title="${formatDateTime(dueAt, request.lang)}">${slaText(dueAt, now, request.lang)}</time>`;
}

export function queuePage(
  request: FastifyRequest,
  view: { rows: QueueRow[]; filters: QueueFilters; overdue: number; now: Date },
): SafeHtml {
  const t = texts[request.lang];
  const q = t.queue;
  const statusOptions: { value: QueueFilters['status']; label: string }[] = [
    { value: 'open', label: q.open },
    ...REQUEST_STATUSES.map((s) => ({ value: s, label: t.status[s] })),
    { value: 'all', label: q.all },
  ];
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  const rows = view.rows.map(
    (r) => html`<tr class="${r.overdue ? 'overdue' : ''}" data-ref="${r.ref}">
  <td data-label="${q.ref}"><a href="/console/requests/${r.ref}"><strong>${r.ref}</strong></a></td>
  <td data-label="${q.type}">${t.type[r.type]}</td>
  <td data-label="${q.status}"><span class="badge ${r.status}">${t.status[r.status]}</span></td>
  <td data-label="${q.flags}">${r.flags.map((f) => html`<span class="badge flag">${f}</span> `)}</td>
  <td data-label="${q.customer}">${r.customerNo ? html`<a href="/console/customers/${r.customerNo}">${r.customerNo}</a>` : html`<span class="muted">—</span>`}${r.restricted ? html` <span class="badge flag restricted">⛔ ${t.restriction.badge}</span>` : ''}</td>
  <td data-label="${q.created}">${formatDateTime(r.createdAt, request.lang)}</td>
  <td data-label="${q.due}">${slaCell(request, r.dueAt, r.open, view.now)}</td>
</tr>`,
  );
  return page(request, {
    title: q.heading,
    active: 'queue',
    body: html`<h1>${q.heading}</h1>
<form class="filters" method="get" action="/console/requests">
  <label>${q.status}<select name="status">${statusOptions.map((o) => option(o.value, o.label, o.value === view.filters.status))}</select></label>
  <label>${q.type}<select name="type">${option('', q.anyType, view.filters.type === '')}${REQUEST_TYPES.map((ty) => option(ty, t.type[ty], ty === view.filters.type))}</select></label>
  <button type="submit">${q.filter}</button>
</form>
<p class="muted">${q.shown(view.rows.length)}${view.overdue > 0 ? html` · <strong class="sla late">${q.overdueCount(view.overdue)}</strong>` : ''}</p>
${
  view.rows.length === 0
    ? html`<p class="card">${q.empty}</p>`
    : html`<table class="responsive" id="queue">
<thead><tr><th>${q.ref}</th><th>${q.type}</th><th>${q.status}</th><th>${q.flags}</th><th>${q.customer}</th><th>${q.created}</th><th>${q.due}</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
}`,
  });
}
