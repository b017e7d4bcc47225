import { writeFile } from 'node:fs/promises';
import { closeAppContext, createAppContext } from '../app/context.js';
import type { Config } from '../config/index.js';
import { createLogger } from '../logging/logger.js';
import {
  parseReportMonth,
  produceReport,
  REPORT_FORMATS,
  type ReportFormat,
  ReportInputError,
} from '../reports/index.js';

export interface ReportCliOptions {
  month?: string;
  format?: string;
  lang?: string;
  activity?: boolean;
  out?: string;
}

/**
 * `hakdata report --month 2026-11 [--format text|csv|pdf] [--lang en] [--activity] [--out file]`:
 * the monthly rights report (text on the terminal by default), or with `--activity` the record of
 * processing activity (UU PDP art. 31) as CSV. Bad input is answered before anything connects.
 */
export async function runReport(config: Config, options: ReportCliOptions): Promise<number> {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  let month: ReturnType<typeof parseReportMonth>;
  try {
    month = parseReportMonth(options.month);
  } catch (e) {
    if (!(e instanceof ReportInputError)) throw e;
    err(`report: --month ${e.message}`);
    return 2;
  }
  const format = (options.format ?? 'text') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) {
    err(
      `report: --format must be one of ${REPORT_FORMATS.join(', ')} (got "${String(options.format).slice(0, 20)}").`,
    );
    return 2;
  }
  // The record of processing activity is CSV only: a PDF asked for must not quietly come out as CSV.
  if (options.activity && options.format !== undefined && format !== 'csv') {
    err(`report: --activity writes CSV; leave --format out (got "${format}").`);
    return 2;
  }
  const lang = options.lang ?? 'id';
  if (lang !== 'id' && lang !== 'en') {
    err(`report: --lang must be id or en (got "${lang.slice(0, 20)}").`);
    return 2;
  }
  if (format === 'pdf' && !options.out && process.stdout.isTTY) {
    err('report: a PDF is not for the terminal; add --out laporan.pdf (or pipe it to a file).');
    return 2;
  }
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const ctx = await createAppContext(config, logger);
  try {
    const file = await produceReport(ctx, { month, format, lang, activity: options.activity === true });
    if (options.out) {
      await writeFile(options.out, file.body);
      err(
        `report: ${options.activity ? 'record of processing activity' : `${format} report`} for ${month.label} written to ${options.out}`,
      );
    } else {
      process.stdout.write(file.body);
    }
    return 0;
  } finally {
    await closeAppContext(ctx);
  }
}
