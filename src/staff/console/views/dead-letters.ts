import type { FastifyRequest } from 'fastify';
import type { DeadLetter } from '../../../db/index.js';
import { formatDateTime, texts } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, page } from './layout.js';

export type DeadLetterRow = Pick<
  DeadLetter,
  | 'channel'
  | 'maskedChat'
  | 'reason'
  | 'detail'
  | 'platformCode'
  | 'purpose'
  | 'requestRef'
  | 'messageKind'
  | 'attempts'
  | 'status'
  | 'resolvedBy'
  | 'createdAt'
> & { id: string };

export function deadLettersPage(
  request: FastifyRequest,
  view: { status: 'open' | 'resolved'; rows: DeadLetterRow[]; done: boolean },
): SafeHtml {
  const d = texts[request.lang].deadLetters;
  const tab = (status: 'open' | 'resolved', label: string) =>
    html`<a href="/console/deadletters?status=${status}"${view.status === status ? html` aria-current="page"` : ''} class="badge">${label}</a>`;
  return page(request, {
    title: d.heading,
    active: 'deadLetters',
    notice: view.done ? { kind: 'ok', text: d.done } : undefined,
    body: html`<h1>${d.heading}</h1>
<p>${tab('open', d.open)} ${tab('resolved', d.resolved)}</p>
${
  view.rows.length === 0
    ? html`<p class="card">${d.empty}</p>`
    : html`<table class="responsive" id="deadletters">
<thead><tr><th>${d.created}</th><th>${d.channel}</th><th>${d.chat}</th><th>${d.reason}</th><th>${d.detail}</th><th>${d.purpose}</th><th>${d.attempts}</th><th></th></tr></thead>
<tbody>${view.rows.map(
        (r) => html`<tr>
  <td data-label="${d.created}">${formatDateTime(r.createdAt, request.lang)}</td>
  <td data-label="${d.channel}">${r.channel}</td>
  <td data-label="${d.chat}">${r.maskedChat}</td>
  <td data-label="${d.reason}"><span class="badge failed">${r.reason}</span></td>
  <td data-label="${d.detail}">${r.platformCode ? html`<code>${r.platformCode}</code> ` : ''}${r.detail}</td>
  <td data-label="${d.purpose}">${r.purpose} · ${r.messageKind}${r.requestRef ? html` · <a href="/console/requests/${r.requestRef}">${r.requestRef}</a>` : ''}</td>
  <td data-label="${d.attempts}">${r.attempts}</td>
  <td>${
    r.status === 'open'
      ? html`<form method="post" action="/console/deadletters/${r.id}/resolve">${csrfField(request)}<button type="submit" class="secondary">${d.resolve}</button></form>`
      : html`<span class="muted">${d.resolvedBy(r.resolvedBy ?? '?')}</span>`
  }</td>
</tr>`,
      )}</tbody>
</table>`
}`,
  });
}
