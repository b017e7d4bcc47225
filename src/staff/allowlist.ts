import { staffChatOf } from '../channels/registry.js';
import type { Config } from '../config/index.js';
import type { Models } from '../db/index.js';

/**
 * Who may decide requests from the Telegram staff chat. Membership of the chat proves nothing
 * (a chat can be forwarded, an invite leaked): the server checks the Telegram user id of whoever
 * pressed the button against this list, every time.
 */
export interface StaffAllowlist {
  allows(telegramUserId: string): Promise<boolean>;
}

/** Another source of staff ids, e.g. console accounts linked to a Telegram user. */
export type LinkedStaffLookup = (telegramUserId: string) => Promise<boolean>;

/** Console accounts (`staffaccounts`) linked to a Telegram user and not disabled. */
export const linkedConsoleAccount =
  (ctx: { models: Pick<Models, 'StaffAccount'> }): LinkedStaffLookup =>
  async (telegramUserId) =>
    (await ctx.models.StaffAccount.countDocuments({ telegramUserId, disabled: false })) > 0;

/**
 * The staff chat's configured user ids (TELEGRAM_STAFF_USER_IDS, through the channel), plus linked console accounts (or another `linked` lookup). The
 * configured list is read once: a change there is a change of configuration and a restart;
 * console links take effect at once.
 */
export function createStaffAllowlist(
  ctx: { config: Config; models: Pick<Models, 'StaffAccount'> },
  linked: LinkedStaffLookup | undefined = linkedConsoleAccount(ctx),
): StaffAllowlist {
  const configured = new Set(staffChatOf(ctx.config)?.userIds ?? []);
  return {
    async allows(telegramUserId) {
      if (!/^\d{1,20}$/.test(telegramUserId)) return false;
      if (configured.has(telegramUserId)) return true;
      return linked ? linked(telegramUserId) : false;
    },
  };
}

/** How a Telegram staff member is named in decisions and the audit trail. */
export const telegramStaffActor = (telegramUserId: string) => `telegram:${telegramUserId}`;
