import type { FastifyRequest } from 'fastify';
import { flagReason } from '../../../catalogue/index.js';
import type { Decision, HistoryEntry, RequestFlag, RequestStatus, RequestType } from '../../../db/index.js';
import { formatDateTime, texts } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, page } from './layout.js';
import { slaCell } from './queue.js';

export interface RequestDetail {
  ref: string;
  type: RequestType;
  status: RequestStatus;
  channel: string;
  locale: string;
  customerNo: string | undefined;
  maskedName: string | undefined;
  /** The customer's restriction of processing (UU PDP art. 11), if one holds: a badge. */
  restriction?: 'marketing' | 'all' | undefined;
  flags: RequestFlag[];
  changes: { field: string; value: string }[];
  decision: Decision | null | undefined;
  history: HistoryEntry[];
  result: Record<string, unknown> | null | undefined;
  createdAt: Date;
  dueAt: Date;
  open: boolean;
}

export type RequestNotice = 'approved' | 'rejected' | 'alreadyDecided' | 'reasonRequired';

export function requestPage(
  request: FastifyRequest,
  view: { detail: RequestDetail; now: Date; notice?: RequestNotice | undefined },
): SafeHtml {
  const t = texts[request.lang];
  const r = t.request;
  const d = view.detail;
  const notice = view.notice
    ? {
        kind: view.notice === 'approved' || view.notice === 'rejected' ? ('ok' as const) : ('error' as const),
        text: r[view.notice],
      }
    : undefined;
  const confirmErase =
    request.lang === 'id'
      ? 'Setujui penghapusan? Data pribadi pelanggan akan dihapus dan tidak bisa dikembalikan.'
      : 'Approve the erasure? The customer’s personal data will be removed for good.';
  const decide =
    d.status === 'pending_approval'
      ? html`<section class="card" id="decide">
<h2>${r.decideHeading}</h2>
<div class="actions">
  <form method="post" action="/console/requests/${d.ref}/decision"${d.type === 'erase' ? html` data-confirm="${confirmErase}"` : ''}>
    ${csrfField(request)}<input type="hidden" name="outcome" value="approved">
    <button type="submit" id="approve">${r.approve}</button>
  </form>
  <form method="post" action="/console/requests/${d.ref}/decision">
    ${csrfField(request)}<input type="hidden" name="outcome" value="rejected">
    <label>${r.reason}<textarea name="reason" required maxlength="500"></textarea></label>
    <button type="submit" class="danger" id="reject">${r.reject}</button>
  </form>
</div>
</section>`
      : '';
  return page(request, {
    title: r.heading(d.ref),
    active: 'queue',
    notice,
    body: html`<h1>${r.heading(d.ref)} <span class="badge ${d.status}" id="status">${t.status[d.status]}</span></h1>
<section class="card">
<dl class="fields">
  <dt>${t.queue.type}</dt><dd>${t.type[d.type]}</dd>
  <dt>${t.queue.customer}</dt><dd>${
    d.customerNo
      ? html`<a href="/console/customers/${d.customerNo}">${d.customerNo}</a>${d.maskedName ? ` · ${d.maskedName}` : ''}${d.restriction ? html` <span class="badge flag restricted" id="restricted" title="${t.restriction.scopes[d.restriction]}">⛔ ${t.restriction.badge}</span>` : ''}`
      : html`<span class="muted">${r.noCustomer}</span>`
  }</dd>
  <dt>${r.channel}</dt><dd>${d.channel}</dd>
  <dt>${r.locale}</dt><dd>${d.locale}</dd>
  <dt>${t.queue.created}</dt><dd>${formatDateTime(d.createdAt, request.lang)}</dd>
  <dt>${t.queue.due}</dt><dd>${formatDateTime(d.dueAt, request.lang)} · ${slaCell(request, d.dueAt, d.open, view.now)}</dd>
  ${
    d.decision?.outcome
      ? html`<dt>${r.decision}</dt><dd>${d.decision.outcome === 'approved' ? r.outcome.approved : r.outcome.rejected} ${r.decidedBy(d.decision.by ?? '?', formatDateTime(d.decision.at, request.lang))}${d.decision.reason ? html`<br><q>${d.decision.reason}</q>` : ''}</dd>`
      : ''
  }
</dl>
</section>
<section class="card">
<h2>${r.flags}</h2>
${d.flags.length === 0 ? html`<p class="muted">${r.noFlags}</p>` : html`<ul>${d.flags.map((f) => html`<li><span class="badge flag">${f.code}</span> ${flagReason(f, request.lang)}</li>`)}</ul>`}
<h2>${r.changes}</h2>
${
  d.changes.length === 0
    ? html`<p class="muted">${d.type === 'update' && !d.open ? r.changesRemoved : r.noChanges}</p>`
    : html`<dl class="fields">${d.changes.map((c) => html`<dt>${c.field}</dt><dd>${c.value}</dd>`)}</dl>`
}
</section>
${decide}
<section class="card">
<h2>${r.history}</h2>
<table class="responsive">
<thead><tr><th>${r.at}</th><th>${r.transition}</th><th>${r.actor}</th><th>${r.note}</th></tr></thead>
<tbody>${d.history.map(
      (h) => html`<tr>
  <td data-label="${r.at}">${formatDateTime(h.at, request.lang)}</td>
  <td data-label="${r.transition}">${h.from ? t.status[h.from] : '·'} → ${t.status[h.to]}</td>
  <td data-label="${r.actor}">${h.actor}</td>
  <td data-label="${r.note}">${h.note ?? ''}</td>
</tr>`,
    )}</tbody>
</table>
${d.result ? html`<h2>${r.result}</h2><pre>${JSON.stringify(d.result, null, 2)}</pre>` : ''}
</section>`,
  });
}
