import { userInfo } from 'node:os';
import cliProgress from 'cli-progress';
import { closeAppContext, createAppContext } from '../app/context.js';
import type { Config } from '../config/index.js';
import { createLogger } from '../logging/logger.js';
import {
  formatReport,
  type LiveProgress,
  loadPromoFile,
  PromoError,
  type PromoFile,
  PromoFileError,
  sendPromo,
} from '../promo/index.js';

export interface PromoSendCliOptions {
  file?: string;
  dryRun?: boolean;
  resume?: string;
  force?: boolean;
  /** `telegram=25`, repeatable. */
  rate?: string[];
  concurrency?: string;
}

const err = (line: string) => process.stderr.write(`${line}\n`);

/** `telegram=25` → { telegram: 25 }; a bad entry is an error sentence. */
export function parseRates(entries: string[]): Record<string, number> | string {
  const rates: Record<string, number> = {};
  for (const entry of entries) {
    const m = /^([a-z][a-z0-9_-]*)=(\d+(?:\.\d+)?)$/.exec(entry.trim());
    const value = m ? Number(m[2]) : Number.NaN;
    if (!m?.[1] || !(value > 0) || value > 1000)
      return `--rate ${entry}: expected channel=messages-per-second, e.g. --rate telegram=25`;
    rates[m[1]] = value;
  }
  return rates;
}

/**
 * `hakdata promo send`: exit code 0 when done (or a dry run), 3 when interrupted (resume it),
 * 2 for a file or usage problem, 1 for anything else.
 */
export async function runPromoSend(config: Config, options: PromoSendCliOptions): Promise<number> {
  if (!options.file && !options.resume) {
    err('hakdata promo send: give --file promo.yaml (or --resume <promoId> to continue one)');
    return 2;
  }
  if (options.force && !options.resume) {
    // A new send never takes over anything (an existing promo id is refused): --force would be ignored.
    err(
      'hakdata promo send: --force goes only with --resume <promoId> (taking over a promo another sender seems to hold)',
    );
    return 2;
  }
  let file: PromoFile | undefined;
  if (options.file) {
    try {
      file = loadPromoFile(options.file);
    } catch (e) {
      if (e instanceof PromoFileError) {
        err(e.message);
        return 2;
      }
      throw e;
    }
  }
  const rates = parseRates(options.rate ?? []);
  if (typeof rates === 'string') {
    err(rates);
    return 2;
  }
  const concurrency = options.concurrency ? Number(options.concurrency) : undefined;
  if (
    concurrency !== undefined &&
    !(Number.isInteger(concurrency) && concurrency > 0 && concurrency <= 256)
  ) {
    err('--concurrency: expected a whole number from 1 to 256');
    return 2;
  }

  // Logs go to stderr too (warnings and up).
  const verbose = config.logLevel === 'debug' || config.logLevel === 'trace';
  const logger = createLogger({ level: verbose ? config.logLevel : 'warn', destination: process.stderr });
  const ctx = await createAppContext(config, logger);
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    err('\nStopping after the messages in flight (Ctrl-C again to quit at once)…');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const bar = new cliProgress.SingleBar(
    {
      format:
        'promo {promoId} [{bar}] {percentage}% | {value}/{total} | sent {sent} skipped {skipped} failed {failed} | {rate}/s | ETA {eta_formatted}',
      hideCursor: true,
      // The bar on stderr: stdout carries only the report, so it can be saved or piped.
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  let barStarted = false;
  const onProgress = (p: LiveProgress) => {
    const payload = {
      promoId: p.promoId,
      sent: p.sent,
      skipped: p.skipped,
      failed: p.failed,
      rate: p.perSecond.toFixed(1),
    };
    if (!barStarted) {
      bar.start(Math.max(p.total, 1), p.done, payload);
      barStarted = true;
    } else bar.update(p.done, payload);
  };

  try {
    const report = await sendPromo(ctx, file, {
      dryRun: options.dryRun ?? false,
      resume: Boolean(options.resume),
      ...(options.resume ? { promoId: options.resume } : {}),
      force: options.force ?? false,
      rates,
      ...(concurrency ? { concurrency } : {}),
      signal: abort.signal,
      onProgress,
      by: `cli:${safeUser()}`,
    });
    if (barStarted) bar.stop();
    process.stdout.write(formatReport(report));
    return report.status === 'interrupted' ? 3 : 0;
  } catch (e) {
    if (barStarted) bar.stop();
    if (e instanceof PromoError) {
      err(`hakdata promo send: ${e.message}`);
      return 2;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeAppContext(ctx);
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
