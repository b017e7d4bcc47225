import { z } from 'zod';

/**
 * A report month, `YYYY-MM`, read in Jakarta time (WIB, UTC+7, no daylight saving): staff and
 * regulators count "November" as Indonesia's November, not UTC's.
 */
export interface ReportMonth {
  /** `2026-11` */
  label: string;
  year: number;
  month: number;
  /** First instant of the month in WIB, as a UTC Date. */
  start: Date;
  /** First instant of the next month in WIB (exclusive). */
  end: Date;
}

const WIB_OFFSET_MS = 7 * 3600_000;

export class ReportInputError extends Error {
  readonly code = 'INVALID_MONTH';
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

const monthSchema = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}$/, 'write the month as YYYY-MM, e.g. 2026-11')
  .refine((v) => {
    const m = Number(v.slice(5));
    return m >= 1 && m <= 12;
  }, 'the month must be 01 to 12')
  .refine(
    (v) => Number(v.slice(0, 4)) >= 2000 && Number(v.slice(0, 4)) <= 2999,
    'the year must be 2000 to 2999',
  );

/** `2026-11` → the month; anything else → ReportInputError with one sentence saying what is wrong. */
export function parseReportMonth(raw: string | undefined): ReportMonth {
  const parsed = monthSchema.safeParse(raw ?? '');
  if (!parsed.success)
    throw new ReportInputError(
      `"${String(raw ?? '').slice(0, 20)}" is not a month: ${parsed.error.issues[0]?.message ?? 'use YYYY-MM'}.`,
    );
  const year = Number(parsed.data.slice(0, 4));
  const month = Number(parsed.data.slice(5));
  return {
    label: parsed.data,
    year,
    month,
    start: new Date(Date.UTC(year, month - 1, 1) - WIB_OFFSET_MS),
    end: new Date(Date.UTC(year, month, 1) - WIB_OFFSET_MS),
  };
}
