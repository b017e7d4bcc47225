import { z } from 'zod';
import { recordAudit } from '../audit/record.js';
import { type Models, STAFF_ROLES, type StaffAccount, type StaffRole } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import {
  type AccountLockView,
  accountLockedFor,
  clearFailures,
  type LockoutDeps,
  lockedFor,
  recordFailure,
  recordSuccess,
} from './console/lockout.js';
import {
  dummyHash,
  hashPassword,
  passwordProblem,
  randomPassword,
  verifyPassword,
} from './console/passwords.js';
import { destroySessionsOf } from './console/sessions.js';

/**
 * Staff accounts of the web console: creation (CLI, admin page, demo), login with lockout, and
 * the few changes an admin makes. Every change and every login attempt is audited.
 */

export class StaffError extends Error {
  /** `message` is English (the CLI, logs); `id` the same in Indonesian, for the console. */
  constructor(
    readonly code: 'INVALID_INPUT' | 'EXISTS' | 'NOT_FOUND' | 'LAST_ADMIN' | 'NOT_ALLOWED',
    message: string,
    readonly id: string = message,
  ) {
    super(message);
    this.name = 'StaffError';
  }
}

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,31}$/, '3-32 characters: a-z, 0-9, dot, dash, underscore');
export const roleSchema = z.enum(STAFF_ROLES);

/** What the console keeps of an account: never the hash. */
export interface StaffIdentity {
  username: string;
  role: StaffRole;
}

export const staffActor = (username: string) => `staff:${username}`;

export interface NewStaffAccount {
  username: string;
  role: StaffRole;
  password: string;
  /** `staff:<admin>`, `cli`, `demo`. */
  createdBy: string;
}

/** Staff accounts and the audit events their changes leave. */
export interface StaffStore {
  models: Pick<Models, 'StaffAccount' | 'AuditEvent'>;
}
/** Signing in and unlocking also reach the login lockout (Redis). */
export type StaffAccountDeps = StaffStore & LockoutDeps;

const isDuplicateKey = (err: unknown) => (err as { code?: unknown }).code === 11000;

export async function createStaffAccount(deps: StaffStore, input: NewStaffAccount): Promise<StaffIdentity> {
  const username = usernameSchema.safeParse(input.username);
  if (!username.success)
    throw new StaffError(
      'INVALID_INPUT',
      `Username: ${username.error.issues[0]?.message ?? 'invalid'}.`,
      'Nama pengguna: 3-32 karakter: a-z, 0-9, titik, tanda hubung, garis bawah.',
    );
  const role = roleSchema.safeParse(input.role);
  if (!role.success)
    throw new StaffError('INVALID_INPUT', 'Role must be agent or admin.', 'Peran harus agen atau admin.');
  const problem = passwordProblem(input.password);
  if (problem) throw new StaffError('INVALID_INPUT', problem.en, problem.id);
  try {
    await deps.models.StaffAccount.create({
      username: username.data,
      role: role.data,
      passwordHash: await hashPassword(input.password),
      disabled: false,
      createdBy: input.createdBy,
      passwordChangedAt: new Date(),
    });
  } catch (err) {
    if (isDuplicateKey(err))
      throw new StaffError(
        'EXISTS',
        `A staff account named ${username.data} exists already.`,
        `Akun staf bernama ${username.data} sudah ada.`,
      );
    throw err;
  }
  await recordAudit(deps, {
    actor: input.createdBy.includes(':') ? input.createdBy : `system:${input.createdBy}`,
    action: 'staff.created',
    details: { username: username.data, role: role.data },
    idempotencyKey: null,
  });
  return { username: username.data, role: role.data };
}

export type LoginResult =
  | { ok: true; staff: StaffIdentity }
  | { ok: false; code: 'INVALID' }
  | { ok: false; code: 'LOCKED'; retryAfterSeconds: number };

/**
 * Checks a login from `clientAddress` (the console passes the request's address; other callers
 * share one). Locked usernames are refused before the password is even looked at; unknown
 * usernames and disabled accounts cost the same scrypt time and give the same answer as a wrong
 * password. Locks are per username and address, plus an account-wide backoff (lockout.ts).
 */
export async function authenticate(
  deps: StaffAccountDeps & { logger: Logger },
  rawUsername: string,
  password: string,
  clientAddress = 'local',
): Promise<LoginResult> {
  const parsed = usernameSchema.safeParse(rawUsername);
  // Unparseable names still count against a (normalized) key, so the lock cannot be dodged by junk.
  const username = parsed.success ? parsed.data : rawUsername.trim().toLowerCase().slice(0, 64);
  const lock = await lockedFor(deps, username, clientAddress);
  if (lock.seconds > 0) {
    await recordAudit(deps, {
      actor: parsed.success ? staffActor(username) : 'anonymous',
      action: 'console.login.refused_locked',
      details: { retryAfterSeconds: lock.seconds, scope: lock.scope },
      idempotencyKey: null,
    });
    return { ok: false, code: 'LOCKED', retryAfterSeconds: lock.seconds };
  }
  const account = parsed.success
    ? await deps.models.StaffAccount.findOne({ username }).lean<StaffAccount>()
    : null;
  const good =
    password.length <= 1024 && (await verifyPassword(password, account?.passwordHash ?? (await dummyHash())));
  if (account && good && !account.disabled) {
    await recordSuccess(deps, username, clientAddress);
    await deps.models.StaffAccount.updateOne({ _id: account._id }, { $set: { lastLoginAt: new Date() } });
    await recordAudit(deps, {
      actor: staffActor(username),
      action: 'console.login',
      details: { role: account.role },
      idempotencyKey: null,
    });
    return { ok: true, staff: { username, role: account.role } };
  }
  const { failures, locked, accountFailures, backoffSeconds } = await recordFailure(
    deps,
    username,
    clientAddress,
  );
  await recordAudit(deps, {
    actor: account ? staffActor(username) : 'anonymous',
    action: locked
      ? 'console.login.locked'
      : backoffSeconds > 0
        ? 'console.login.backoff'
        : 'console.login.failed',
    details: {
      failures,
      accountFailures,
      ...(backoffSeconds > 0 ? { backoffSeconds } : {}),
      knownAccount: Boolean(account),
      ...(account?.disabled ? { disabled: true } : {}),
    },
    idempotencyKey: null,
  });
  deps.logger.warn({ failures, locked, accountFailures, backoffSeconds }, 'console login failed');
  if (!locked) return { ok: false, code: 'INVALID' };
  const after = await lockedFor(deps, username, clientAddress);
  return { ok: false, code: 'LOCKED', retryAfterSeconds: after.seconds };
}

/** The account as it is now (role changes and disabling take effect on the next request). */
export async function activeStaff(
  deps: { models: Pick<Models, 'StaffAccount'> },
  username: string,
): Promise<StaffIdentity | undefined> {
  const account = await deps.models.StaffAccount.findOne(
    { username },
    { username: 1, role: 1, disabled: 1 },
  ).lean<Pick<StaffAccount, 'username' | 'role' | 'disabled'>>();
  return account && !account.disabled ? { username: account.username, role: account.role } : undefined;
}

export interface StaffListEntry {
  username: string;
  role: StaffRole;
  disabled: boolean;
  createdBy: string;
  createdAt: Date;
  lastLoginAt?: Date | null;
  telegramUserId?: string | null;
  /** The account's own lock and the addresses locked out of it (lockout.ts). */
  lock: AccountLockView;
}

export async function listStaff(deps: StaffAccountDeps): Promise<StaffListEntry[]> {
  const rows = await deps.models.StaffAccount.find({}, { passwordHash: 0 })
    .sort({ username: 1 })
    .limit(500)
    .lean<StaffAccount[]>();
  return Promise.all(
    rows.map(async (r) => ({
      username: r.username,
      role: r.role,
      disabled: r.disabled,
      createdBy: r.createdBy,
      createdAt: r.createdAt,
      lastLoginAt: r.lastLoginAt ?? null,
      telegramUserId: r.telegramUserId ?? null,
      lock: await accountLockedFor(deps, r.username),
    })),
  );
}

/** An admin's change to another account: enable/disable, role, unlock. */
export type StaffChange =
  | { kind: 'disable' }
  | { kind: 'enable' }
  | { kind: 'role'; role: StaffRole }
  | { kind: 'unlock' }
  /** Links (or with null unlinks) the Telegram user whose staff-chat button presses count as this account's. */
  | { kind: 'telegram'; telegramUserId: string | null };

export async function changeStaff(
  deps: StaffAccountDeps,
  username: string,
  change: StaffChange,
  by: StaffIdentity,
): Promise<void> {
  const account = await deps.models.StaffAccount.findOne({ username }).lean<StaffAccount>();
  if (!account)
    throw new StaffError('NOT_FOUND', `No staff account ${username}.`, `Tidak ada akun staf ${username}.`);
  const removesAdmin =
    account.role === 'admin' &&
    !account.disabled &&
    (change.kind === 'disable' || (change.kind === 'role' && change.role !== 'admin'));
  if (removesAdmin) {
    if (username === by.username)
      throw new StaffError(
        'NOT_ALLOWED',
        'You cannot remove your own admin rights.',
        'Anda tidak dapat mencabut hak admin Anda sendiri.',
      );
    const admins = await deps.models.StaffAccount.countDocuments({ role: 'admin', disabled: false });
    if (admins <= 1)
      throw new StaffError(
        'LAST_ADMIN',
        'The last active admin cannot be removed.',
        'Admin aktif terakhir tidak dapat dicabut haknya.',
      );
  }
  if (change.kind === 'unlock') await clearFailures(deps, username);
  else if (change.kind === 'telegram') {
    if (change.telegramUserId !== null && !/^\d{1,20}$/.test(change.telegramUserId))
      throw new StaffError(
        'INVALID_INPUT',
        'A Telegram user id is a number.',
        'ID pengguna Telegram berupa angka.',
      );
    const taken = () =>
      new StaffError(
        'EXISTS',
        'That Telegram user is linked to another account.',
        'Pengguna Telegram itu sudah ditautkan ke akun lain.',
      );
    // Checked first: FerretDB reports a unique-index clash on update as a generic error, not 11000.
    if (
      change.telegramUserId !== null &&
      (await deps.models.StaffAccount.exists({
        telegramUserId: change.telegramUserId,
        _id: { $ne: account._id },
      }))
    )
      throw taken();
    try {
      await deps.models.StaffAccount.updateOne(
        { _id: account._id },
        change.telegramUserId === null
          ? { $unset: { telegramUserId: 1 } }
          : { $set: { telegramUserId: change.telegramUserId } },
      );
    } catch (err) {
      if (isDuplicateKey(err)) throw taken();
      throw err;
    }
  } else {
    const set = change.kind === 'role' ? { role: change.role } : { disabled: change.kind === 'disable' };
    await deps.models.StaffAccount.updateOne({ _id: account._id }, { $set: set });
  }
  await recordAudit(deps, {
    actor: staffActor(by.username),
    action: `staff.${change.kind}`,
    details: {
      username,
      ...(change.kind === 'role' ? { from: account.role, to: change.role } : {}),
      ...(change.kind === 'telegram' ? { linked: change.telegramUserId !== null } : {}),
    },
    idempotencyKey: null,
  });
}

/** `cli` → `system:cli`; `staff:<name>` as it is (as `createdBy`). */
const actorOf = (by: string) => (by.includes(':') ? by : `system:${by}`);

async function existingAccount(deps: StaffStore, rawUsername: string): Promise<StaffAccount> {
  const username = usernameSchema.safeParse(rawUsername);
  const account = username.success
    ? await deps.models.StaffAccount.findOne({ username: username.data }).lean<StaffAccount>()
    : null;
  if (!account)
    throw new StaffError(
      'NOT_FOUND',
      `No staff account ${rawUsername.trim()}.`,
      `Tidak ada akun staf ${rawUsername.trim()}.`,
    );
  return account;
}

export interface PasswordSet {
  username: string;
  role: StaffRole;
  disabled: boolean;
  /** Console sessions of the account that were ended. */
  sessionsEnded: number;
}

/**
 * A new password for an existing account (`hakdata staff set-password`: the way back in for an
 * admin who forgot theirs). The same rules as a new account's; the account's login locks are
 * lifted and its console sessions ended, so whoever held the old password is signed out. The
 * audit event names the account, never the password. A disabled account stays disabled.
 */
export async function setStaffPassword(
  deps: StaffAccountDeps,
  rawUsername: string,
  password: string,
  by: string,
): Promise<PasswordSet> {
  const account = await existingAccount(deps, rawUsername);
  const problem = passwordProblem(password);
  if (problem) throw new StaffError('INVALID_INPUT', problem.en, problem.id);
  await deps.models.StaffAccount.updateOne(
    { _id: account._id },
    { $set: { passwordHash: await hashPassword(password), passwordChangedAt: new Date() } },
  );
  await clearFailures(deps, account.username);
  const sessionsEnded = await destroySessionsOf(deps, account.username);
  await recordAudit(deps, {
    actor: actorOf(by),
    action: 'staff.password_set',
    details: { username: account.username, sessionsEnded },
    idempotencyKey: null,
  });
  return { username: account.username, role: account.role, disabled: account.disabled, sessionsEnded };
}

/** `hakdata staff unlock`: the staff page's unlock, from the CLI (every address may try again). */
export async function unlockStaff(deps: StaffAccountDeps, rawUsername: string, by: string): Promise<string> {
  const account = await existingAccount(deps, rawUsername);
  await clearFailures(deps, account.username);
  await recordAudit(deps, {
    actor: actorOf(by),
    action: 'staff.unlock',
    details: { username: account.username },
    idempotencyKey: null,
  });
  return account.username;
}

export const DEMO_ADMIN = 'admin';

/**
 * Development only: the demo's `admin` account with a fresh random password each run (printed by
 * `npm run demo`). An `admin` account someone created by hand is left alone.
 */
export async function ensureDemoAdmin(
  deps: StaffAccountDeps & { config: { isProduction: boolean } },
): Promise<{ username: string; password: string | undefined }> {
  if (deps.config.isProduction)
    throw new StaffError('NOT_ALLOWED', 'The demo admin is refused in production.');
  const existing = await deps.models.StaffAccount.findOne({ username: DEMO_ADMIN }).lean<StaffAccount>();
  if (existing && existing.createdBy !== 'demo') return { username: DEMO_ADMIN, password: undefined };
  const password = randomPassword();
  if (!existing) {
    await createStaffAccount(deps, { username: DEMO_ADMIN, role: 'admin', password, createdBy: 'demo' });
  } else {
    await deps.models.StaffAccount.updateOne(
      { _id: existing._id },
      {
        $set: { passwordHash: await hashPassword(password), passwordChangedAt: new Date(), disabled: false },
      },
    );
    await clearFailures(deps, DEMO_ADMIN);
  }
  return { username: DEMO_ADMIN, password };
}
