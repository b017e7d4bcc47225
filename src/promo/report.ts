import { SKIP_REASON_TEXT, type SkipReason } from './eligibility.js';
import type { PromoReport } from './sender.js';
import { sum } from './store.js';

const FAILURE_TEXT: Record<string, string> = {
  CHAT_BLOCKED: 'the customer blocked the bot',
  BAD_REQUEST: 'the platform refused the message',
  UNAVAILABLE: 'the platform could not be reached',
  RATE_LIMITED: 'still rate limited after retries',
  WINDOW_CLOSED: 'outside the 24-hour window, and promotions need an approved marketing template',
  INTERRUPTED: 'in flight when a sender stopped; maybe delivered, not resent',
};

const pad = (label: string, n: number, width = 56) => `${label.padEnd(width)}${String(n).padStart(7)}`;
const perChannel = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');

/** The end-of-run report for the terminal: sent, skipped by reason, failed by cause. */
export function formatReport(report: PromoReport): string {
  const dry = report.status === 'dry_run';
  const lines: string[] = [];
  lines.push(
    dry ? `Promo ${report.promoId}: dry run, nothing sent` : `Promo ${report.promoId}: ${report.status}`,
  );
  lines.push(pad('  audience (area / last-order filters)', report.audience));
  lines.push(
    `${pad(dry ? '  would be sent' : '  sent', report.sent)}${report.sent ? `   (${perChannel(report.byChannel)})` : ''}`,
  );
  lines.push(pad(dry ? '  would be skipped' : '  skipped', sum(report.skipped)));
  for (const [reason, n] of Object.entries(report.skipped).sort((a, b) => b[1] - a[1]))
    lines.push(pad(`    ${SKIP_REASON_TEXT[reason as SkipReason] ?? reason} (${reason})`, n));
  if (!dry) {
    lines.push(pad('  failed', sum(report.failed)));
    for (const [code, n] of Object.entries(report.failed).sort((a, b) => b[1] - a[1])) {
      lines.push(pad(`    ${FAILURE_TEXT[code] ?? code} (${code})`, n));
      // The platform's own codes (WhatsApp Cloud API 132015: template paused), as dead letters show them.
      const platform = report.failedPlatformCodes[code] ?? {};
      for (const [platformCode, m] of Object.entries(platform).sort((a, b) => b[1] - a[1]))
        lines.push(pad(`      platform code ${platformCode}`, m));
    }
    const seconds = report.elapsedMs / 1000;
    lines.push(
      `  this run: ${report.sentThisRun} sent in ${seconds.toFixed(1)} s = ${report.perSecond} msg/s ` +
        `(limits: ${Object.entries(report.rates)
          .map(([c, r]) => `${c} ${r}/s`)
          .join(', ')})`,
    );
  } else {
    lines.push(
      `  rate limits: ${Object.entries(report.rates)
        .map(([c, r]) => `${c} ${r}/s`)
        .join(', ')}`,
    );
  }
  for (const note of report.notes) lines.push(`  note: ${note}`);
  if (report.status === 'interrupted')
    lines.push(`  Continue with: hakdata promo send --resume ${report.promoId}`);
  return `${lines.join('\n')}\n`;
}
