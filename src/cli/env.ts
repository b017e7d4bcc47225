import { existsSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import dotenv from 'dotenv';
import { loadAppConfig } from '../app/settings.js';
import { type Config, ConfigError } from '../config/index.js';
import { processAlive, readServicesEnv, servicesAnswer } from '../services/services-env.js';

export const STATE_DIR = resolve(process.env.HAKDATA_STATE_DIR ?? '.hakdata');

export interface EnvFileOptions {
  /** Where the values go (and what is already set). */
  env?: NodeJS.ProcessEnv;
  stateDir?: string;
  dotenvPath?: string;
  /** One line for the person at the terminal. */
  notice?: (line: string) => void;
}

/**
 * Development conveniences, in order of precedence: the real environment, then `.env`, then the
 * URLs `hakdata services` (or `demo`) wrote. Production reads the environment only.
 *
 * `services.env` names servers that a process started; if they no longer answer, the file is a
 * leftover (a killed terminal, a crash), not configuration: it is ignored with a one-line notice,
 * and removed once the process that wrote it is gone too.
 */
export async function loadEnvFiles(options: EnvFileOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (env.NODE_ENV === 'production') return;
  const dotenvPath = options.dotenvPath ?? '.env';
  if (existsSync(dotenvPath))
    dotenv.config({ path: dotenvPath, quiet: true, processEnv: env as dotenv.DotenvPopulateInput });

  const services = readServicesEnv(options.stateDir ?? STATE_DIR);
  if (!services) return;
  // Only what the environment and .env leave unset is taken from the file, so only that must answer.
  const taken = Object.fromEntries(Object.entries(services.values).filter(([k]) => env[k] === undefined));
  if (Object.keys(taken).length === 0) return;
  if (!(await servicesAnswer(taken))) {
    const writerGone = services.writerPid === undefined || !processAlive(services.writerPid);
    if (writerGone) rmSync(services.file, { force: true });
    const shown = relative(process.cwd(), services.file);
    notice(
      `hakdata: ignoring ${shown.startsWith('..') ? services.file : shown}: the servers it names no longer answer${writerGone ? ' (removed it)' : ''}.`,
    );
    return;
  }
  for (const [name, value] of Object.entries(taken)) env[name] = value;
}

/** The config, or one readable line per bad field and exit code 1. */
export function configOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadAppConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
