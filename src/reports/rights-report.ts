import type { Models, PrivacyRequest, RequestStatus, RequestType } from '../db/index.js';
import { REQUEST_TYPES } from '../db/index.js';
import type { ReportMonth } from './month.js';

/**
 * The monthly rights report: what customers asked in a month and how it was answered. Counted
 * over the requests created in the month (Jakarta time), as they stand when the report is made.
 * Only counts, durations, channel names and codes: nothing personal, so it may leave the system.
 */

export const OUTCOMES = ['completed', 'rejected', 'failed', 'cancelled', 'open'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Durations {
  /** Completed requests that the figures are taken from. */
  count: number;
  /** Hours from creation to completion; null when nothing completed. */
  medianHours: number | null;
  p95Hours: number | null;
}

export interface TypeRow extends Record<Outcome, number> {
  type: RequestType;
  total: number;
  completion: Durations;
}

export interface RightsReport {
  month: ReportMonth;
  generatedAt: Date;
  total: number;
  byType: TypeRow[];
  completion: Durations;
  /**
   * met: closed (any final status) by its deadline; late: closed after it; overdue: still open
   * past it; pending: still open, not yet due.
   */
  deadline: { met: number; late: number; overdue: number; pending: number };
  /**
   * Rejections by category: the flag that sent the request to staff (OPEN_ORDER, UNPAID_ORDER,
   * PHONE_CHANGE, TOO_MANY_REQUESTS, …), or NOT_FLAGGED. Staff's own words stay in the console.
   */
  rejectedBy: { category: string; count: number }[];
  /** Failures by the worker's result code (GAVE_UP, CUSTOMER_GONE, …). */
  failedBy: { code: string; count: number }[];
  byChannel: { channel: string; total: number; completed: number }[];
}

const FINAL: ReadonlySet<RequestStatus> = new Set(['completed', 'rejected', 'failed', 'cancelled']);
const HOUR = 3600_000;

const outcomeOf = (status: RequestStatus): Outcome => (FINAL.has(status) ? (status as Outcome) : 'open');

/** When the request reached its final status (the last history entry into it). */
function closedAt(r: Pick<PrivacyRequest, 'status' | 'history'>): Date | undefined {
  if (!FINAL.has(r.status)) return undefined;
  const entry = [...(r.history ?? [])].reverse().find((h) => h.to === r.status);
  return entry ? new Date(entry.at) : undefined;
}

/** Nearest-rank percentile of sorted values (p in 0..100): a value that occurred, no interpolation. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

function durations(hours: number[]): Durations {
  const sorted = [...hours].sort((a, b) => a - b);
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    count: sorted.length,
    medianHours: round(percentile(sorted, 50)),
    p95Hours: round(percentile(sorted, 95)),
  };
}

type Row = Pick<
  PrivacyRequest,
  'type' | 'status' | 'channel' | 'createdAt' | 'dueAt' | 'history' | 'flags' | 'result'
>;

/** The figures, from the requests as read (separate from the query, so they can be checked alone). */
export function summarise(rows: readonly Row[], month: ReportMonth, now: Date): RightsReport {
  const types = new Map<RequestType, { row: TypeRow; hours: number[] }>(
    REQUEST_TYPES.map((type) => [
      type,
      {
        row: {
          type,
          total: 0,
          completed: 0,
          rejected: 0,
          failed: 0,
          cancelled: 0,
          open: 0,
          completion: durations([]),
        },
        hours: [],
      },
    ]),
  );
  const allHours: number[] = [];
  const deadline = { met: 0, late: 0, overdue: 0, pending: 0 };
  const rejected = new Map<string, number>();
  const failed = new Map<string, number>();
  const channels = new Map<string, { total: number; completed: number }>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  for (const r of rows) {
    const t = types.get(r.type);
    if (!t) continue;
    const outcome = outcomeOf(r.status);
    t.row.total += 1;
    t.row[outcome] += 1;
    const closed = closedAt(r);
    const due = new Date(r.dueAt).getTime();
    if (outcome === 'open') {
      if (now.getTime() > due) deadline.overdue += 1;
      else deadline.pending += 1;
    } else if (closed) {
      if (closed.getTime() <= due) deadline.met += 1;
      else deadline.late += 1;
    }
    if (outcome === 'completed' && closed) {
      const h = (closed.getTime() - new Date(r.createdAt).getTime()) / HOUR;
      t.hours.push(h);
      allHours.push(h);
    }
    if (outcome === 'rejected') {
      const codes = (r.flags ?? []).map((f) => f.code);
      if (codes.length === 0) bump(rejected, 'NOT_FLAGGED');
      for (const code of new Set(codes)) bump(rejected, code);
    }
    if (outcome === 'failed') {
      const code = typeof r.result?.code === 'string' ? r.result.code : 'UNKNOWN';
      bump(failed, code);
    }
    const c = channels.get(r.channel) ?? { total: 0, completed: 0 };
    c.total += 1;
    if (outcome === 'completed') c.completed += 1;
    channels.set(r.channel, c);
  }
  const sortedEntries = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    month,
    generatedAt: now,
    total: rows.length,
    byType: [...types.values()].map(({ row, hours }) => ({ ...row, completion: durations(hours) })),
    completion: durations(allHours),
    deadline,
    rejectedBy: sortedEntries(rejected).map(([category, count]) => ({ category, count })),
    failedBy: sortedEntries(failed).map(([code, count]) => ({ code, count })),
    byChannel: [...channels]
      .sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))
      .map(([channel, v]) => ({ channel, ...v })),
  };
}

/** What the rights report reads: the privacy requests (never writes them). */
export interface RightsReportDeps {
  models: Pick<Models, 'PrivacyRequest'>;
}

/** Reads the month's requests (only the fields the figures need) and summarises them. */
export async function buildRightsReport(
  deps: RightsReportDeps,
  month: ReportMonth,
  now = new Date(),
): Promise<RightsReport> {
  const rows = await deps.models.PrivacyRequest.find(
    { createdAt: { $gte: month.start, $lt: month.end } },
    {
      _id: 0,
      type: 1,
      status: 1,
      channel: 1,
      createdAt: 1,
      dueAt: 1,
      history: 1,
      flags: 1,
      'result.code': 1,
    },
  ).lean<Row[]>();
  return summarise(rows, month, now);
}
