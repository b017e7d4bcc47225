import { startApp, stopOnSignals } from '../app/start.js';
import type { Config } from '../config/index.js';
import { createLogger } from '../logging/logger.js';

export async function runStart(config: Config): Promise<void> {
  const logger = createLogger({
    level: config.logLevel,
    pretty: !config.isProduction && process.stdout.isTTY,
  });
  const app = await startApp(config, logger);
  stopOnSignals(app, logger);
}
