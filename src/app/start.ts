import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { Component } from './component.js';
import { type AppContext, closeAppContext, createAppContext } from './context.js';
import { componentsByRole, rolesFor } from './roles.js';

export interface RunningApp {
  ctx: AppContext;
  components: Component[];
  stop(): Promise<void>;
}

/** Starts every component of the configured role(s). Stops what started if one fails. */
export async function startApp(config: Config, logger: Logger): Promise<RunningApp> {
  const ctx = await createAppContext(config, logger);
  const components: Component[] = [];
  const stop = async () => {
    for (const component of [...components].reverse()) {
      try {
        await component.stop();
      } catch (err) {
        logger.error({ err, component: component.name }, 'component failed to stop');
      }
    }
    await closeAppContext(ctx);
  };
  try {
    for (const role of rolesFor(config.role)) {
      for (const factory of componentsByRole[role]) {
        const component = await factory(ctx);
        if (!component) continue;
        await component.start();
        components.push(component);
        logger.debug({ component: component.name, role }, 'component started');
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  logger.info({ role: config.role, components: components.map((c) => c.name) }, 'hakdata started');
  return { ctx, components, stop };
}

/** SIGTERM/SIGINT stop the app gracefully; a second signal or 10 s later, the process exits anyway. */
export function stopOnSignals(
  app: RunningApp,
  logger: Logger,
  onStopped: () => void = () => process.exit(0),
): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took over 10 s: exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    app.stop().then(
      () => {
        clearTimeout(force);
        logger.info('stopped');
        onStopped();
      },
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
