import type { Types } from 'mongoose';
import type { Models, PrivacyRequest } from '../db/index.js';

/**
 * The writes to a request document that are not a change of status, made for the workers: a
 * status is written only by `transition()` (states.ts), and these never touch it. Kept here so
 * every write to `privacyrequests` is in this folder (test/unit/import-boundaries.test.ts).
 */

/** A job picked up again after its worker died: counted, so the reconciler can give up on it. */
export function countResumedAttempt(
  models: Pick<Models, 'PrivacyRequest'>,
  id: Types.ObjectId,
): Promise<PrivacyRequest | null> {
  return models.PrivacyRequest.findOneAndUpdate(
    { _id: id, status: 'processing' },
    { $inc: { attempts: 1 } },
    { new: true },
  )
    .lean<PrivacyRequest>()
    .exec();
}

/** Marks reminders as sent, unless `send` already was (another run): true when this run claimed it. */
export async function claimReminders(
  models: Pick<Models, 'PrivacyRequest'>,
  id: Types.ObjectId,
  send: string,
  mark: string[],
): Promise<boolean> {
  const claimed = await models.PrivacyRequest.updateOne(
    { _id: id, reminders: { $ne: send } },
    { $addToSet: { reminders: { $each: mark } } },
  );
  return claimed.modifiedCount > 0;
}

/** Puts the reminder marks back as they were (staff were not told, so the next run tries again). */
export async function restoreReminders(
  models: Pick<Models, 'PrivacyRequest'>,
  id: Types.ObjectId,
  reminders: string[],
): Promise<void> {
  await models.PrivacyRequest.updateOne({ _id: id }, { $set: { reminders } });
}

/**
 * An erased customer's other requests lose their chat ids (replaced by `erasedMark`) and the
 * changes they asked for; their status stays (the open ones were cancelled through `transition()`).
 */
export async function scrubOtherRequests(
  models: Pick<Models, 'PrivacyRequest'>,
  customerId: Types.ObjectId,
  exceptRef: string,
  erasedMark: string,
): Promise<void> {
  await models.PrivacyRequest.updateMany(
    {
      customerId,
      ref: { $ne: exceptRef },
      $or: [{ chatId: { $ne: erasedMark } }, { changes: { $exists: true } }],
    },
    { $set: { chatId: erasedMark }, $unset: { changes: 1 } },
  );
}
