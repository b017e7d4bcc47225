import type { Config } from '../config/index.js';
import type { Models } from '../db/index.js';
import { keyedHash } from '../identity/keyed-hash.js';

/**
 * The do-not-market list holds keyed hashes only (OTP_SECRET), so a leaked list reveals no
 * number. An erasure outranks an opt-out: re-subscribing lifts only an opt-out.
 */

/** What the hashes are keyed with: the OTP secret. */
export interface SuppressionSecret {
  config: { otp: Pick<Config['otp'], 'secret'> };
}

/** The do-not-market list's one collection. */
export interface SuppressionStore {
  models: Pick<Models, 'Suppression'>;
}

export const phoneSuppressionHash = (ctx: SuppressionSecret, e164: string) =>
  keyedHash(ctx.config.otp.secret, 'phone', e164);

export const chatSuppressionHash = (ctx: SuppressionSecret, channel: string, chatId: string) =>
  keyedHash(ctx.config.otp.secret, 'chat', `${channel}\n${chatId}`);

export async function suppress(
  ctx: SuppressionStore,
  entry: { hash: string; kind: 'phone' | 'chat'; reason: 'erased' | 'opted_out'; source: string; at: Date },
): Promise<void> {
  try {
    await upsertSuppression(ctx, entry);
  } catch (err) {
    // Two upserts of one new hash can race; the loser finds the document on a second try.
    if ((err as { code?: unknown }).code !== 11000) throw err;
    await upsertSuppression(ctx, entry);
  }
}

async function upsertSuppression(
  ctx: SuppressionStore,
  entry: Parameters<typeof suppress>[1],
): Promise<void> {
  const { Suppression } = ctx.models;
  if (entry.reason === 'erased') {
    await Suppression.updateOne(
      { hash: entry.hash },
      {
        $set: { reason: 'erased', source: entry.source },
        $setOnInsert: { kind: entry.kind, createdAt: entry.at },
      },
      { upsert: true },
    );
  } else {
    await Suppression.updateOne(
      { hash: entry.hash },
      { $setOnInsert: { kind: entry.kind, reason: 'opted_out', source: entry.source, createdAt: entry.at } },
      { upsert: true },
    );
  }
}

export async function liftOptOut(ctx: SuppressionStore, hash: string): Promise<void> {
  await ctx.models.Suppression.deleteOne({ hash, reason: 'opted_out' });
}

export async function isSuppressed(ctx: SuppressionStore, hash: string): Promise<boolean> {
  return (await ctx.models.Suppression.countDocuments({ hash })) > 0;
}
