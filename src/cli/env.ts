import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import dotenv from 'dotenv';
import { type Config, ConfigError, loadConfig } from '../config/index.js';

export const STATE_DIR = resolve(process.env.HAKDATA_STATE_DIR ?? '.hakdata');

/**
 * Development conveniences, in order of precedence: the real environment, then `.env`, then the
 * URLs `hakdata services` wrote. Production reads the environment only.
 */
export function loadEnvFiles(): void {
  if (process.env.NODE_ENV === 'production') return;
  if (existsSync('.env')) dotenv.config({ path: '.env', quiet: true });
  const services = resolve(STATE_DIR, 'services.env');
  if (existsSync(services)) dotenv.config({ path: services, quiet: true });
}

/** The config, or one readable line per bad field and exit code 1. */
export function configOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
