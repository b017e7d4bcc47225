import { ensureLocalServices, type LocalServices, writeServicesEnv } from '../services/local-services.js';
import { STATE_DIR } from './env.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Starts what is missing and writes `.hakdata/services.env`; used by `services` and `demo`. */
export async function startServices(): Promise<LocalServices> {
  const services = await ensureLocalServices({
    redisUrl: process.env.REDIS_URL,
    mongodbUri: process.env.MONGODB_URI,
    stateDir: STATE_DIR,
    log: out,
  });
  for (const line of services.started) out(`started ${line}`);
  out(`Redis:   ${services.redisUrl}`);
  out(`MongoDB: ${services.mongoBaseUri}`);
  const file = writeServicesEnv(STATE_DIR, services);
  out(`wrote ${file}`);
  return services;
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
