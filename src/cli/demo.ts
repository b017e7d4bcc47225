import { startApp, stopOnSignals } from '../app/start.js';
import { createLogger } from '../logging/logger.js';
import { seedDemo } from '../seed/seed.js';
import { ensureDemoAdmin } from '../staff/accounts.js';
import { configOrExit } from './env.js';
import { startServices } from './services.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * The demo's settings over the environment: the servers `startServices` found or started, and the
 * web chat on. A MONGODB_URI given is used whole: its database (a second installation's own, as
 * the settings table has it), user and options (`authSource`) were dropped for `<server>/hakdata`.
 */
export function demoEnv(
  env: NodeJS.ProcessEnv,
  services: { redisUrl: string; mongoBaseUri: string },
): NodeJS.ProcessEnv {
  return {
    ...env,
    REDIS_URL: services.redisUrl,
    MONGODB_URI: env.MONGODB_URI?.trim() ? env.MONGODB_URI : `${services.mongoBaseUri}/hakdata`,
    WEBCHAT_ENABLED: env.WEBCHAT_ENABLED ?? 'true',
  };
}

/** `npm run demo`: services, seed, and the whole bot with the local web chat, in one process. */
export async function runDemo(): Promise<void> {
  const services = await startServices();
  const config = configOrExit(demoEnv(process.env, services));
  const logger = createLogger({ level: config.logLevel, pretty: process.stdout.isTTY });
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config, logger);
  } catch (err) {
    await services.stop();
    throw err;
  }
  const report = await seedDemo(app.ctx.models);
  out(`Demo customers: ${report.customers.created + report.customers.existing}.`);
  const demoAdmin = await ensureDemoAdmin(app.ctx);
  const base = `http://${config.admin.host === '0.0.0.0' ? '127.0.0.1' : config.admin.host}:${config.admin.port}`;
  out('');
  out(`hakdata demo is running.`);
  out(`  Web chat:   ${base}/chat`);
  out(`  Console:    ${base}/console`);
  out(
    `  Staff login: ${demoAdmin.username} / ${demoAdmin.password ?? '(your own password: this admin was not made by the demo)'}`,
  );
  out(`  Health:     ${base}/healthz`);
  out('Press Ctrl-C to stop.');
  stopOnSignals(app, logger, () => {
    services.stop().finally(() => process.exit(0));
  });
}
