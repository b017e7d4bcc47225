import type { Types } from 'mongoose';
import type { Models } from '../db/index.js';
import { maskDetails } from '../privacy/index.js';
import { csvLine } from './csv.js';
import type { ReportMonth } from './month.js';

/**
 * The record of processing activity for a month (UU PDP art. 31): the audit events, masked, as
 * CSV. Details were masked when written and are masked again here. Customers who restricted
 * processing (UU PDP art. 11) are left out of exports: their events stay in the record (it is a
 * legal obligation) but without their customer id or details.
 */
export const ACTIVITY_COLUMNS = ['at', 'actor', 'action', 'request_ref', 'customer_id', 'details'] as const;
export const RESTRICTED_MARK = '[restricted]';

/** What the record of processing activity reads: the audit events, and who restricted processing. */
export interface ActivityDeps {
  models: Pick<Models, 'AuditEvent' | 'Customer'>;
}

/** Customers whose processing is restricted now: left out of every export but their own access package. */
export async function restrictedCustomerIds(deps: {
  models: Pick<Models, 'Customer'>;
}): Promise<Set<string>> {
  const rows = await deps.models.Customer.find(
    { 'processingRestriction.scope': { $in: ['marketing', 'all'] } },
    { _id: 1 },
  ).lean();
  return new Set(rows.map((r) => String(r._id)));
}

export async function countActivity(deps: ActivityDeps, month: ReportMonth): Promise<number> {
  return deps.models.AuditEvent.countDocuments({ at: { $gte: month.start, $lt: month.end } });
}

/** Writes the CSV a line at a time (a month of events can be large); returns how many rows. */
export async function writeActivityCsv(
  deps: ActivityDeps,
  month: ReportMonth,
  write: (chunk: string) => void | Promise<void>,
): Promise<{ rows: number; restricted: number }> {
  const restricted = await restrictedCustomerIds(deps);
  await write(csvLine(ACTIVITY_COLUMNS));
  let rows = 0;
  let hidden = 0;
  const cursor = deps.models.AuditEvent.find({ at: { $gte: month.start, $lt: month.end } })
    .sort({ at: 1, _id: 1 })
    .lean()
    .cursor();
  for await (const e of cursor as AsyncIterable<{
    at: Date;
    actor: string;
    action: string;
    requestRef?: string;
    customerId?: Types.ObjectId;
    details?: Record<string, unknown>;
  }>) {
    const id = e.customerId ? String(e.customerId) : '';
    const isRestricted = id !== '' && restricted.has(id);
    if (isRestricted) hidden += 1;
    await write(
      csvLine([
        e.at,
        e.actor,
        e.action,
        e.requestRef ?? '',
        isRestricted ? RESTRICTED_MARK : id,
        isRestricted ? RESTRICTED_MARK : JSON.stringify(maskDetails(e.details ?? {})),
      ]),
    );
    rows += 1;
  }
  return { rows, restricted: hidden };
}

export async function activityCsv(deps: ActivityDeps, month: ReportMonth): Promise<string> {
  let out = '';
  await writeActivityCsv(deps, month, (chunk) => {
    out += chunk;
  });
  return out;
}
