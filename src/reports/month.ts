import { z } from 'zod';
import type { Locale } from '../catalogue/index.js';

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

/** What is wrong with a month that is not one: the CLI words it in English, the console in its language. */
export type MonthProblem = 'format' | 'month' | 'year';

/** Why a month is none, in each language: the console's reports page words it in its language. */
export const MONTH_PROBLEM_TEXT: Record<Locale, Record<MonthProblem, string>> = {
  id: {
    format: 'tulis bulan sebagai YYYY-MM, mis. 2026-11',
    month: 'bulan harus 01 sampai 12',
    year: 'tahun harus 2000 sampai 2999',
  },
  en: {
    format: 'write the month as YYYY-MM, e.g. 2026-11',
    month: 'the month must be 01 to 12',
    year: 'the year must be 2000 to 2999',
  },
};

export class ReportInputError extends Error {
  readonly code = 'INVALID_MONTH';
  /**
   * @param input what was given, cut to 20 characters
   * @param problem why it is no month; `message` says it in English
   */
  constructor(
    readonly input: string,
    readonly problem: MonthProblem,
  ) {
    super(`"${input}" is not a month: ${MONTH_PROBLEM_TEXT.en[problem]}.`);
    this.name = 'ReportInputError';
  }
}

const isMonthProblem = (v: string | undefined): v is MonthProblem =>
  v !== undefined && Object.hasOwn(MONTH_PROBLEM_TEXT.en, v);

/** Each issue's message is the MonthProblem it stands for. */
const monthSchema = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}$/, 'format' satisfies MonthProblem)
  .refine((v) => {
    const m = Number(v.slice(5));
    return m >= 1 && m <= 12;
  }, 'month' satisfies MonthProblem)
  .refine(
    (v) => Number(v.slice(0, 4)) >= 2000 && Number(v.slice(0, 4)) <= 2999,
    'year' satisfies MonthProblem,
  );

/** `2026-11` → the month; anything else → ReportInputError saying what is wrong. */
export function parseReportMonth(raw: string | undefined): ReportMonth {
  const parsed = monthSchema.safeParse(raw ?? '');
  if (!parsed.success) {
    const problem = parsed.error.issues[0]?.message;
    throw new ReportInputError(String(raw ?? '').slice(0, 20), isMonthProblem(problem) ? problem : 'format');
  }
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
