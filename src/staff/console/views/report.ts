import type { FastifyRequest } from 'fastify';
import {
  MONTH_PROBLEM_TEXT,
  OUTCOMES,
  REPORT_TEXT,
  type ReportInputError,
  type RightsReport,
} from '../../../reports/index.js';
import { formatDateTime, texts } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

/**
 * The monthly rights report on a console page (admins): the same figures as `hakdata report`,
 * in the same words as its PDF, with the CSV, the PDFs and the record of processing activity to
 * download.
 */
export function reportPage(
  request: FastifyRequest,
  view: {
    month: string;
    report: RightsReport | undefined;
    error?: Pick<ReportInputError, 'input' | 'problem'> | undefined;
  },
): SafeHtml {
  const c = texts[request.lang].reports;
  const t = REPORT_TEXT[request.lang];
  const r = view.report;
  const q = (extra: string) => `/console/reports/download?month=${encodeURIComponent(view.month)}&${extra}`;
  const form = html`<form class="filters card" method="get" action="/console/reports">
  <label>${c.month}<input type="month" name="month" value="${view.month}" required></label>
  <button type="submit">${c.show}</button>
</form>`;
  const body = r
    ? html`<section class="card" id="figures">
<p class="muted">${t.periodNote} ${t.generatedAt}: ${formatDateTime(r.generatedAt, request.lang)}</p>
<p><strong>${t.total}: <span id="total">${r.total}</span></strong></p>
<h2>${t.byType}</h2>
<table class="responsive" id="by-type"><thead><tr><th>${t.type}</th>${OUTCOMES.map((o) => html`<th>${t.outcome[o]}</th>`)}</tr></thead>
<tbody>${r.byType.map(
        (row) =>
          html`<tr data-type="${row.type}"><td data-label="${t.type}">${t.types[row.type]}</td>${OUTCOMES.map(
            (o) => html`<td data-label="${t.outcome[o]}" data-outcome="${o}">${row[o]}</td>`,
          )}</tr>`,
      )}</tbody></table>
<h2>${t.completionHeading}</h2>
<p class="muted">${t.completionNote}</p>
<dl class="fields" id="completion">
  <dt>${t.completedCount}</dt><dd>${r.completion.count}</dd>
  <dt>${t.median}</dt><dd>${t.hours(r.completion.medianHours)}</dd>
  <dt>${t.p95}</dt><dd>${t.hours(r.completion.p95Hours)}</dd>
</dl>
<h2>${t.deadlineHeading}</h2>
<dl class="fields" id="deadline">${(Object.keys(r.deadline) as (keyof RightsReport['deadline'])[]).map(
        (k) => html`<dt>${t.deadline[k]}</dt><dd data-deadline="${k}">${r.deadline[k]}</dd>`,
      )}</dl>
<p class="muted">${t.deadlineNote}</p>
<h2>${t.rejectedHeading}</h2>
<p class="muted">${t.rejectedNote}</p>
${
  r.rejectedBy.length === 0
    ? html`<p class="muted">${t.none}</p>`
    : html`<ul id="rejected">${r.rejectedBy.map((x) => html`<li><span class="badge flag">${x.category}</span> ${x.count}</li>`)}</ul>`
}
<h2>${t.failedHeading}</h2>
${
  r.failedBy.length === 0
    ? html`<p class="muted">${t.none}</p>`
    : html`<ul id="failed">${r.failedBy.map((x) => html`<li><span class="badge flag">${x.code}</span> ${x.count}</li>`)}</ul>`
}
<h2>${t.channelHeading}</h2>
${
  r.byChannel.length === 0
    ? html`<p class="muted">${t.none}</p>`
    : html`<table class="responsive" id="by-channel"><thead><tr><th>${t.channel}</th><th>${t.total}</th><th>${t.outcome.completed}</th></tr></thead><tbody>${r.byChannel.map(
        (x) =>
          html`<tr><td data-label="${t.channel}">${x.channel}</td><td data-label="${t.total}">${x.total}</td><td data-label="${t.outcome.completed}">${x.completed}</td></tr>`,
      )}</tbody></table>`
}
</section>
<section class="card" id="downloads">
<h2>${c.downloads}</h2>
<ul>
  <li><a href="${q('format=csv')}">${c.csv}</a></li>
  <li><a href="${q('format=pdf&lang=id')}">${c.pdf}</a></li>
  <li><a href="${q('format=pdf&lang=en')}">${c.pdfEn}</a></li>
  <li><a href="${q('activity=1')}">${c.activity}</a></li>
</ul>
<p class="muted">${c.activityNote}</p>
</section>`
    : '';
  return page(request, {
    title: c.heading,
    active: 'reports',
    notice: view.error
      ? {
          kind: 'error',
          text: c.invalidMonth(view.error.input, MONTH_PROBLEM_TEXT[request.lang][view.error.problem]),
        }
      : undefined,
    body: html`<h1>${c.heading}</h1>
${form}
${body}`,
  });
}
