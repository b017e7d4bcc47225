import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 14 item 5: modules are handed what they use (a few models, a logger, Redis and its key
 * builder, a store), not the whole AppContext. Only a composition splits the context: the app
 * and CLI (not counted here), the admin server and its plugin list, the console's own index.
 * A folder's count may only go down: a file that starts taking the whole context again fails,
 * and a ceiling above the count fails too, so each one gained is kept.
 */

const SRC = join(import.meta.dirname, '../../src');

/** Folders held to a ceiling, by the path under src/ a file's folder starts with. */
const CEILINGS: Record<string, { max: number; why: string }> = {
  admin: { max: 2, why: 'server.ts and plugins.ts compose the admin server from the context' },
  audit: { max: 0, why: '' },
  channels: { max: 0, why: '' },
  conversation: {
    max: 1,
    why: "runtime.ts: the conversation's composition (OTP service and provider, request service, sessions, engine)",
  },
  gateway: {
    max: 1,
    why: "component.ts: the gateway's composition (outbox, conversation, adapters, staff chat, session worker)",
  },
  identity: { max: 0, why: '' },
  metrics: { max: 0, why: '' },
  outbound: { max: 0, why: '' },
  promo: {
    max: 1,
    why: 'sender.ts: sendPromo composes a run (plan, audience, opt-out watch, lanes, transport, sessions, audit)',
  },
  queues: { max: 0, why: '' },
  reports: { max: 0, why: '' },
  requests: { max: 0, why: '' },
  staff: { max: 1, why: "console/index.ts: the console's composition (request service, routes' deps)" },
  'staff/chat': { max: 0, why: '' },
  sessions: { max: 0, why: '' },
  workers: {
    max: 1,
    why: "requests-component.ts: the worker role's composition (outbox, staff notifier, queue, worker, SLA)",
  },
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/**
 * Whether the file's code names the whole AppContext: comments and imports left out, and
 * `Pick<AppContext, …>` or `AppContext['…']` (a narrowed part) not counted.
 */
function takesWholeContext(source: string): boolean {
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '')
    .replace(/(?:^|\n)\s*import\s[^;]*?from\s+['"][^'"]+['"];?/g, '\n')
    .replace(/(?:^|\n)\s*export\s+(?:type\s+)?\{[^}]*\}\s*from\s+['"][^'"]+['"];?/g, '\n');
  return /(?<!(?:Pick|Omit)<\s*)\bAppContext\b(?!\s*\[)/.test(code);
}

/** The most specific held folder: a file of staff/chat/ counts there, not in staff/. */
const heldFolder = (file: string) =>
  Object.keys(CEILINGS)
    .filter((f) => file.startsWith(`${f}/`))
    .sort((a, b) => b.length - a.length)[0];

describe('files taking the whole AppContext', () => {
  const byFolder = new Map<string, string[]>(Object.keys(CEILINGS).map((f) => [f, []]));
  for (const file of tsFiles(SRC)) {
    const folder = heldFolder(file);
    if (folder && takesWholeContext(readFileSync(join(SRC, file), 'utf8'))) byFolder.get(folder)?.push(file);
  }

  it.each(Object.entries(CEILINGS))('in %s/ stay at their ceiling (%o)', (folder, { max }) => {
    const files = (byFolder.get(folder) ?? []).sort();
    expect(files.length, `files: ${files.join(', ')}`).toBeLessThanOrEqual(max);
    expect(files.length, `${folder}/ is below its ceiling: lower it to ${files.length}`).toBe(max);
  });

  it('are told apart from narrowed parts, comments and imports', () => {
    expect(takesWholeContext('export function f(ctx: AppContext) {}')).toBe(true);
    expect(takesWholeContext('const x: AppContext = build();')).toBe(true);
    expect(takesWholeContext("import type { AppContext } from '../app/context.js';\nconst a = 1;")).toBe(
      false,
    );
    expect(takesWholeContext("type S = Pick<AppContext, 'redis' | 'key'>;")).toBe(false);
    expect(takesWholeContext("type C = AppContext['config'];")).toBe(false);
    expect(takesWholeContext('/** handed around in the AppContext */\n// AppContext\nconst a = 1;')).toBe(
      false,
    );
  });
});
