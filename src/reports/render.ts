import { csvLine } from './csv.js';
import { REPORT_TEXT, type ReportLang } from './report-text.js';
import { OUTCOMES, type RightsReport } from './rights-report.js';

/** The figures as CSV: one measure a row, stable English codes (for spreadsheets and scripts). */
export function reportCsv(r: RightsReport): string {
  const rows: unknown[][] = [
    ['month', r.month.label, 'generated_at', r.generatedAt.toISOString()],
    ['total', 'all', 'requests', r.total],
  ];
  for (const t of r.byType) {
    rows.push(['by_type', t.type, 'total', t.total]);
    for (const o of OUTCOMES) rows.push(['by_type', t.type, o, t[o]]);
  }
  const completion = (item: string, d: RightsReport['completion']) => {
    rows.push(['completion', item, 'completed', d.count]);
    rows.push(['completion', item, 'median_hours', d.medianHours ?? '']);
    rows.push(['completion', item, 'p95_hours', d.p95Hours ?? '']);
  };
  completion('all', r.completion);
  for (const t of r.byType) completion(t.type, t.completion);
  for (const [k, v] of Object.entries(r.deadline)) rows.push(['deadline', 'all', k, v]);
  for (const x of r.rejectedBy) rows.push(['rejected', x.category, 'count', x.count]);
  for (const x of r.failedBy) rows.push(['failed', x.code, 'count', x.count]);
  for (const c of r.byChannel) {
    rows.push(['channel', c.channel, 'total', c.total]);
    rows.push(['channel', c.channel, 'completed', c.completed]);
  }
  return csvLine(['section', 'item', 'measure', 'value']) + rows.map(csvLine).join('');
}

/** The figures for a terminal, in the chosen language. */
export function reportText(r: RightsReport, lang: ReportLang, business: string): string {
  const t = REPORT_TEXT[lang];
  const lines = [
    t.title,
    t.subtitle(business, r.month.label),
    t.periodNote,
    '',
    `${t.total}: ${r.total}`,
    '',
    `${t.byType}:`,
    `  ${[t.type.padEnd(32), ...OUTCOMES.map((o) => t.outcome[o])].join(' | ')}`,
  ];
  for (const row of r.byType)
    lines.push(`  ${[t.types[row.type].padEnd(32), ...OUTCOMES.map((o) => String(row[o]))].join(' | ')}`);
  lines.push(
    '',
    `${t.completionHeading}: ${t.median} ${t.hours(r.completion.medianHours)}, ${t.p95} ${t.hours(r.completion.p95Hours)} (${t.completedCount} ${r.completion.count})`,
    '',
    `${t.deadlineHeading}:`,
    ...Object.entries(r.deadline).map(([k, v]) => `  ${t.deadline[k as keyof typeof t.deadline]}: ${v}`),
    '',
    `${t.rejectedHeading}:`,
    ...(r.rejectedBy.length ? r.rejectedBy.map((x) => `  ${x.category}: ${x.count}`) : [`  ${t.none}`]),
    `${t.failedHeading}:`,
    ...(r.failedBy.length ? r.failedBy.map((x) => `  ${x.code}: ${x.count}`) : [`  ${t.none}`]),
    '',
    `${t.channelHeading}:`,
    ...(r.byChannel.length
      ? r.byChannel.map(
          (c) => `  ${c.channel}: ${c.total} (${t.outcome.completed.toLowerCase()} ${c.completed})`,
        )
      : [`  ${t.none}`]),
  );
  return `${lines.join('\n')}\n`;
}
