import { loadAppConfig } from '../../src/app/settings.js';
import { type RunningApp, startApp } from '../../src/app/start.js';
import { freePort } from '../../src/services/processes.js';
import { captureLogger, createTestContext, type TestContext } from './context.js';

export interface TestApp {
  /** The running app (ROLE=all unless overridden): its own AppContext and components. */
  app: RunningApp;
  /** A second context on the same database and Redis prefix, for seeding and assertions. */
  ctx: TestContext;
  /** The admin server (health, web chat, console): `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** Every log line the app wrote (the test context's lines are in `ctx.logLines`). */
  appLogLines: string[];
  /** Stops the app, then drops the database and the Redis keys. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The whole app in this process, as `hakdata start` runs it: every role, on the test's private
 * database and Redis prefix, with the admin server on a free port. `env` adds or overrides
 * settings (TELEGRAM_* from the fake Bot API, WEBCHAT_ENABLED…).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const port = await freePort();
  const ctx = await createTestContext({
    ROLE: 'all',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: String(port),
    OTP_PROVIDER: 'console',
    ...env,
  });
  const { logger, lines } = captureLogger(ctx.config.logLevel);
  let app: RunningApp;
  try {
    app = await startApp(loadAppConfig(ctx.env), logger);
  } catch (err) {
    await ctx.cleanup();
    throw err;
  }
  let stopped = false;
  return {
    app,
    ctx,
    baseUrl: `http://127.0.0.1:${port}`,
    appLogLines: lines,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await app.stop();
      } finally {
        await ctx.cleanup();
      }
    },
  };
}
