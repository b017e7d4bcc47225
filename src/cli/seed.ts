import type { Config } from '../config/index.js';
import { connectMongo, createModels, syncIndexes } from '../db/index.js';
import { seedDemo } from '../seed/seed.js';

/**
 * `hakdata seed`: the demo tenant, for development only. In production it would add 50 made-up
 * customers with marketing consent and real-looking numbers (one is the business's own) to the
 * real customers, where a promotion would reach them: refused there, exit code 2.
 */
export async function runSeed(config: Config): Promise<number> {
  if (config.isProduction) {
    process.stderr.write(
      'hakdata seed: the demo customers are for development; refused with NODE_ENV=production.\n',
    );
    return 2;
  }
  const conn = await connectMongo(config.mongodbUri);
  try {
    const models = createModels(conn);
    await syncIndexes(models);
    const report = await seedDemo(models);
    process.stdout.write(
      `Seeded demo tenant: customers ${report.customers.created} new, ${report.customers.existing} already there; ` +
        `orders ${report.orders.created} new, ${report.orders.existing} already there.\n`,
    );
    return 0;
  } finally {
    await conn.close();
  }
}
