import { writeFileSync } from 'node:fs';
import { ensureLocalServices } from '../src/services/local-services.js';
import { type BenchFigure, machine, printFigure } from './harness.js';

/**
 * `npm run bench`: each benchmark prints its figure beside a baseline measured in the same run
 * and is written to bench/results.json. Benchmarks register in `benchmarks` below.
 */
export interface BenchEnv {
  redisUrl: string;
  mongoBaseUri: string;
}
export type Benchmark = (env: BenchEnv) => Promise<Record<string, BenchFigure>>;

const benchmarks: { name: string; load: () => Promise<Benchmark> }[] = [
  { name: 'baselines', load: async () => (await import('./baselines.js')).default },
];

const only = process.argv.slice(2);
const services = await ensureLocalServices({
  redisUrl: process.env.REDIS_URL,
  mongodbUri: process.env.MONGODB_URI,
  privateMongo: !process.env.MONGODB_URI,
  log: (line) => process.stderr.write(`${line}\n`),
});
const results: Record<string, BenchFigure> = {};
try {
  for (const bench of benchmarks) {
    if (only.length > 0 && !only.includes(bench.name)) continue;
    process.stderr.write(`\n# ${bench.name}\n`);
    const run = await bench.load();
    for (const [name, figure] of Object.entries(await run(services))) {
      results[name] = figure;
      printFigure(name, figure);
    }
  }
} finally {
  await services.stop();
}
writeFileSync(
  'bench/results.json',
  `${JSON.stringify({ machine: machine(), benchmarks: results }, null, 2)}\n`,
);
process.stdout.write('\nwrote bench/results.json\n');
