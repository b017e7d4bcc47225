import { closeAppContext, createAppContext } from '../app/context.js';
import type { Config } from '../config/index.js';
import type { StaffRole } from '../db/index.js';
import { createLogger } from '../logging/logger.js';
import { createStaffAccount, roleSchema, StaffError } from '../staff/accounts.js';
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

export interface StaffAddOptions {
  role: string;
  passwordStdin?: boolean;
}

/** `hakdata staff add <username> --role agent|admin [--password-stdin]`. Exit code 1 on failure. */
export async function runStaffAdd(
  config: Config,
  username: string,
  options: StaffAddOptions,
): Promise<number> {
  const role = roleSchema.safeParse(options.role);
  if (!role.success) {
    err('--role must be agent or admin');
    return 1;
  }
  let password: string;
  if (options.passwordStdin) password = await readStdin();
  else if (process.stdin.isTTY) password = await askPassword();
  else {
    err('No terminal to ask for the password: pipe it in with --password-stdin.');
    return 1;
  }

  const ctx = await createAppContext(config, createLogger({ level: 'warn' }));
  try {
    const created = await createStaffAccount(ctx, {
      username,
      role: role.data as StaffRole,
      password,
      createdBy: 'cli',
    });
    process.stdout.write(`Staff account ${created.username} (${created.role}) created.\n`);
    return 0;
  } catch (e) {
    if (e instanceof StaffError) {
      err(e.message);
      return 1;
    }
    throw e;
  } finally {
    await closeAppContext(ctx);
  }
}
