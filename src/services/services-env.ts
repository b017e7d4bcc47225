import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dotenv from 'dotenv';
import { type LocalServices, mongoAnswers, mongoBase, redisAnswers } from './local-services.js';

/**
 * `.hakdata/services.env`: the URLs of the local servers `npm run services` or `npm run demo`
 * brought up, for the other commands of the same checkout. It describes running processes, so it
 * lives only as long as they do: the process that wrote it removes it when it stops them, and a
 * file left behind (a killed terminal, a crash) is recognised by its servers not answering.
 */

export const SERVICES_ENV = 'services.env';

export const servicesEnvPath = (stateDir: string) => join(stateDir, SERVICES_ENV);

const WRITER = /^# written by hakdata \(pid (\d+)\)/m;

/**
 * Writes the URLs; returns the text written (to remove exactly that later), or undefined when a
 * file naming the same servers is there already and this process started none of them.
 */
export function writeServicesEnv(
  stateDir: string,
  services: Pick<LocalServices, 'redisUrl' | 'mongoBaseUri' | 'started'>,
  database = 'hakdata',
): string | undefined {
  const file = servicesEnvPath(stateDir);
  const urls = `REDIS_URL=${services.redisUrl}\nMONGODB_URI=${services.mongoBaseUri}/${database}\n`;
  // Another run's servers we merely use: its file stays its own, to be removed when it stops them.
  if (services.started.length === 0 && existsSync(file) && readFileSync(file, 'utf8').endsWith(urls))
    return undefined;
  const text = `# written by hakdata (pid ${process.pid}); removed when the servers it started stop\n${urls}`;
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, text);
  return text;
}

/** Removes the file if it is still the one `text` was written as (another run may have replaced it). */
export function removeServicesEnv(stateDir: string, text: string): void {
  const file = servicesEnvPath(stateDir);
  try {
    if (readFileSync(file, 'utf8') === text) rmSync(file, { force: true });
  } catch {
    // Gone already: nothing to remove.
  }
}

export interface ServicesEnvFile {
  file: string;
  values: Record<string, string>;
  /** The process that wrote it, when it says so. */
  writerPid: number | undefined;
}

export function readServicesEnv(stateDir: string): ServicesEnvFile | undefined {
  const file = servicesEnvPath(stateDir);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const pid = WRITER.exec(text)?.[1];
  return { file, values: dotenv.parse(text), writerPid: pid ? Number(pid) : undefined };
}

/** Whether every server among `values` (REDIS_URL, MONGODB_URI) answers now. */
export async function servicesAnswer(values: Record<string, string | undefined>): Promise<boolean> {
  const checks: Promise<boolean>[] = [];
  if (values.REDIS_URL) checks.push(redisAnswers(values.REDIS_URL));
  if (values.MONGODB_URI) checks.push(mongoAnswers(mongoBase(values.MONGODB_URI)));
  return (await Promise.all(checks)).every(Boolean);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
