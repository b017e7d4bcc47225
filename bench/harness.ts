import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

/** One figure of `bench/results.json`; fields that do not apply are left out. */
export interface BenchFigure {
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  /** value ÷ the driver alone doing the same minimal MongoDB work, in the same run (the database's floor). */
  floor_ratio?: number;
  p50_ms?: number;
  p95_ms?: number;
  p99_ms?: number;
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return round(sortedMs[Math.max(0, index)] ?? 0);
}

export function latencies(samplesMs: number[]): Pick<BenchFigure, 'p50_ms' | 'p95_ms' | 'p99_ms'> {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { p50_ms: percentile(sorted, 50), p95_ms: percentile(sorted, 95), p99_ms: percentile(sorted, 99) };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Runs `count` calls of `fn` with `concurrency` in flight; returns per-second rate and latencies. */
export async function measureRate(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ perSecond: number; samplesMs: number[] }> {
  const samplesMs: number[] = new Array(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        samplesMs[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: count / seconds, samplesMs };
}

export function machine() {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    at: new Date().toISOString(),
  };
}

export function printFigure(name: string, figure: BenchFigure): void {
  const parts = [`${name.padEnd(22)} ${String(round(figure.value)).padStart(10)} ${figure.unit}`];
  if (figure.baseline !== undefined) parts.push(`baseline ${round(figure.baseline)} ${figure.unit}`);
  // Two significant digits: a ratio of 0.003 must not print as 0.
  if (figure.ratio !== undefined) parts.push(`ratio ${Number(figure.ratio.toPrecision(2))}`);
  if (figure.floor_ratio !== undefined)
    parts.push(`floor ratio ${Number(figure.floor_ratio.toPrecision(2))}`);
  if (figure.p50_ms !== undefined) parts.push(`p50 ${figure.p50_ms} ms, p99 ${figure.p99_ms} ms`);
  process.stdout.write(`${parts.join(' · ')}\n`);
}

/**
 * With BENCH_PROFILE=1, records a CPU profile of `fn` alone (not the set-up around it) to
 * `<tmpdir>/hakdata-profiles/<name>.cpuprofile`; read it with `npx tsx bench/profile-summary.ts`.
 */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_PROFILE) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const dir = join(tmpdir(), 'hakdata-profiles');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    process.stderr.write(`  CPU profile: ${file}\n`);
  }
}

/**
 * Figures that are counts, not timings against a baseline (e.g. `mongo_ops`, MongoDB commands per
 * request): benchmarks add them here and run.ts writes each section at the top level of
 * bench/results.json.
 */
export const topLevelFigures: Record<string, Record<string, number>> = {};

let sectionSuffix = '';
let suffixedSections: string[] | undefined;

/**
 * From now on, sections are written with `suffix` appended, and only those named in `sections`
 * (the PostgreSQL pass: the counts in the form FerretDB is sent, not again MongoDB's form).
 */
export function setSectionSuffix(suffix: string, sections?: string[]): void {
  sectionSuffix = suffix;
  suffixedSections = sections;
}

export function reportTopLevel(section: string, values: Record<string, number>): void {
  if (suffixedSections && !suffixedSections.includes(section)) return;
  const name = `${section}${sectionSuffix}`;
  topLevelFigures[name] = { ...topLevelFigures[name], ...values };
  process.stdout.write(`${name}: ${JSON.stringify(values)}\n`);
}
