import { postgresqlUrlFrom } from '../services/ferretdb.js';
import { ensureLocalServices, type LocalServices } from '../services/local-services.js';
import { removeServicesEnv, servicesEnvPath, writeServicesEnv } from '../services/services-env.js';
import { STATE_DIR } from './env.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Starts what is missing and writes `.hakdata/services.env`; used by `services` and `demo`.
 * Stopping the servers removes the file again, so the next command does not take the URLs of
 * servers that are gone for configuration (issue 19: a second `npm run demo` failed on them).
 */
export async function startServices(): Promise<LocalServices> {
  const services = await ensureLocalServices({
    redisUrl: process.env.REDIS_URL,
    mongodbUri: process.env.MONGODB_URI,
    postgresqlUrl: postgresqlUrlFrom(),
    stateDir: STATE_DIR,
    log: out,
  });
  for (const line of services.started) out(`started ${line}`);
  out(`Redis:   ${services.redisUrl}`);
  out(`MongoDB: ${services.mongoBaseUri}`);
  const written = writeServicesEnv(STATE_DIR, services);
  if (written) out(`wrote ${servicesEnvPath(STATE_DIR)}`);
  if (services.started.length === 0 || !written) return services;

  const forget = () => removeServicesEnv(STATE_DIR, written);
  // A forced exit (a second Ctrl-C, a shutdown over 10 s) skips stop(): still stop the servers
  // and remove the file on the way out.
  const onExit = () => {
    services.abandon();
    forget();
  };
  process.once('exit', onExit);
  return {
    ...services,
    async stop() {
      process.off('exit', onExit);
      await services.stop();
      forget();
    },
  };
}

export async function runServices(): Promise<void> {
  const services = await startServices();
  if (services.started.length === 0) {
    out('Everything was already running; nothing to stop.');
    return;
  }
  out('Running. Press Ctrl-C to stop what was started.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await services.stop();
  out('Stopped.');
}
