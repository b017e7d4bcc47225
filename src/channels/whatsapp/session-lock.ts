import { lstatSync, readlinkSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** LocalAuth's Chromium profile inside the session directory. */
export const profileDir = (sessionDir: string) => join(sessionDir, 'session');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive but not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Chromium refuses a profile whose `SingletonLock` (a symlink to `<host>-<pid>`) names another
 * live browser. After a crash, or a container restarted under a new host name, the lock is
 * stale and WhatsApp would never come back: remove it. Only one gateway may use a session
 * directory, so a lock from another host is stale by definition.
 * Returns why a lock was removed, or undefined.
 */
export function clearStaleProfileLock(sessionDir: string): 'dead process' | 'other host' | undefined {
  const dir = profileDir(sessionDir);
  const lock = join(dir, 'SingletonLock');
  let target: string;
  try {
    if (!lstatSync(lock).isSymbolicLink()) return undefined;
    target = readlinkSync(lock);
  } catch {
    return undefined;
  }
  const match = /^(.*)-(\d+)$/.exec(target);
  if (!match) return undefined;
  const [, host, pid] = match;
  let reason: 'dead process' | 'other host' | undefined;
  if (host !== hostname()) reason = 'other host';
  else if (!processAlive(Number(pid))) reason = 'dead process';
  if (!reason) return undefined;
  for (const name of ['SingletonLock', 'SingletonSocket', 'SingletonCookie']) {
    rmSync(join(dir, name), { force: true });
  }
  return reason;
}
