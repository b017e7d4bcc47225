import { type AppContext, closeAppContext, createAppContext } from '../app/context.js';
import type { Config } from '../config/index.js';
import type { StaffRole } from '../db/index.js';
import { createLogger } from '../logging/logger.js';
import {
  createStaffAccount,
  roleSchema,
  StaffError,
  setStaffPassword,
  unlockStaff,
} from '../staff/accounts.js';
import { passwordProblem } from '../staff/console/passwords.js';

const err = (line: string) => process.stderr.write(`${line}\n`);

/** Everything on stdin, without the final newline (`echo … | hakdata staff add … --password-stdin`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** One line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stdout.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stdout.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function askPassword(): Promise<string> {
  for (;;) {
    const first = await promptHidden('Kata sandi / Password: ');
    const problem = passwordProblem(first);
    if (problem) {
      err(`${problem.id} / ${problem.en}`);
      continue;
    }
    if ((await promptHidden('Ulangi / Repeat: ')) === first) return first;
    err('Kata sandi tidak sama / The passwords differ.');
  }
}

/**
 * The password a command is given: from stdin with `--password-stdin`, else asked twice on the
 * terminal. Never an argument (it would stay in the shell's history). Undefined: said why on stderr.
 */
async function readPassword(options: { passwordStdin?: boolean }): Promise<string | undefined> {
  if (options.passwordStdin) return readStdin();
  if (process.stdin.isTTY) return askPassword();
  err('No terminal to ask for the password: pipe it in with --password-stdin.');
  return undefined;
}

export interface StaffAddOptions {
  role: string;
  passwordStdin?: boolean;
}

/**
 * `hakdata staff add <username> --role agent|admin [--password-stdin]`. Exit code 2 for a bad
 * argument (role, username, password, no terminal to ask on), 1 when the action fails (the name is taken).
 */
export async function runStaffAdd(
  config: Config,
  username: string,
  options: StaffAddOptions,
): Promise<number> {
  const role = roleSchema.safeParse(options.role);
  if (!role.success) {
    err(`hakdata staff add: --role must be agent or admin (got "${String(options.role).slice(0, 20)}")`);
    return 2;
  }
  const password = await readPassword(options);
  if (password === undefined) return 2;

  return withStaffStore(config, async (ctx) => {
    const created = await createStaffAccount(ctx, {
      username,
      role: role.data as StaffRole,
      password,
      createdBy: 'cli',
    });
    process.stdout.write(`Staff account ${created.username} (${created.role}) created.\n`);
  });
}

/**
 * Runs `step` against the app's stores; a StaffError is its message on stderr and exit code 2 for
 * bad input (a malformed username, a weak password), 1 for the action failing (an unknown account).
 */
async function withStaffStore(config: Config, step: (ctx: AppContext) => Promise<void>): Promise<number> {
  const ctx = await createAppContext(config, createLogger({ level: 'warn' }));
  try {
    await step(ctx);
    return 0;
  } catch (e) {
    if (e instanceof StaffError) {
      err(e.message);
      return e.code === 'INVALID_INPUT' ? 2 : 1;
    }
    throw e;
  } finally {
    await closeAppContext(ctx);
  }
}

/**
 * `hakdata staff set-password <username> [--password-stdin]`: a new password for an existing
 * account (an admin who forgot theirs), its login locks lifted, its console sessions ended.
 * Exit code 2 for a bad argument, 1 when the action fails (no such account).
 */
export async function runStaffSetPassword(
  config: Config,
  username: string,
  options: { passwordStdin?: boolean },
): Promise<number> {
  const password = await readPassword(options);
  if (password === undefined) return 2;
  return withStaffStore(config, async (ctx) => {
    const done = await setStaffPassword(ctx, username, password, 'cli');
    const sessions =
      done.sessionsEnded === 1 ? '1 console session' : `${done.sessionsEnded} console sessions`;
    process.stdout.write(
      `Password of ${done.username} (${done.role}) set; its sign-in locks lifted, ${sessions} ended.\n`,
    );
    if (done.disabled)
      err(
        `${done.username} is disabled: an admin enables it on the console's staff page before it can sign in.`,
      );
  });
}

/** `hakdata staff unlock <username>`: lifts the account's sign-in locks, as the staff page does. */
export async function runStaffUnlock(config: Config, username: string): Promise<number> {
  return withStaffStore(config, async (ctx) => {
    const name = await unlockStaff(ctx, username, 'cli');
    process.stdout.write(`Sign-in locks of ${name} lifted: every address may try again.\n`);
  });
}
