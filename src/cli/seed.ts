import type { Config } from '../config/index.js';
import { connectMongo, createModels, syncIndexes } from '../db/index.js';
import { seedDemo } from '../seed/seed.js';

export async function runSeed(config: Config): Promise<void> {
  const conn = await connectMongo(config.mongodbUri);
  try {
    const models = createModels(conn);
    await syncIndexes(models);
    const report = await seedDemo(models);
    process.stdout.write(
      `Seeded demo tenant: customers ${report.customers.created} new, ${report.customers.existing} already there; ` +
        `orders ${report.orders.created} new, ${report.orders.existing} already there.\n`,
    );
  } finally {
    await conn.close();
  }
}
