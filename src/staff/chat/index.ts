import type { AppContext, RedisStore } from '../../app/context.js';
import { staffChatOf } from '../../channels/registry.js';
import type { InboundAck, InboundMessage } from '../../channels/types.js';
import type { Models } from '../../db/index.js';
import { logTag } from '../../logging/logger.js';
import type { Outbox, SentNotice } from '../../outbound/index.js';
import type { RequestService } from '../../requests/index.js';
import { createStaffAllowlist, type StaffAllowlist } from '../allowlist.js';
import { staffNames } from '../telegram-staff-names.js';
import { parseReasonCorrelation } from './buttons/reject.js';
import { compose, filter } from './composer.js';
import { createStaffContext, type StaffChatServices, type StaffContext } from './context.js';
import { pendingReasonStore } from './pending-reason.js';
import { cardPresses, isCardPress } from './press.js';
import { isMessage, reasonAnswer } from './reason.js';

export { STAFF_CHAT_TEXTS } from './texts.js';

/**
 * The staff chat (the group STAFF_CHANNEL's settings name), composed like a grammY bot: a filter takes the staff
 * chat's updates away from the customer engine; card presses pass the allowlist, then go to one
 * handler per button (buttons/); messages may be the reason a Tolak asked for (reason.ts).
 * Decisions go through the request service; everything said in the chat goes through the outbox.
 */
/**
 * What the staff chat reads of the app: the config (STAFF_CHANNEL and its group, the allowlist's
 * ids), a logger, Redis and its key builder (staff names, open Tolak questions), and the models
 * its handlers read and write (linked console accounts for the allowlist).
 */
export type StaffChatResources = Pick<AppContext, 'config' | 'logger' | 'redis' | 'key'> & {
  models: StaffChatServices['models'] & Pick<Models, 'StaffAccount'>;
};

export interface StaffChatDeps {
  outbox: Outbox;
  requests: Pick<RequestService, 'decide'>;
  allowlist?: StaffAllowlist;
  now?: () => Date;
  /** How long a Tolak waits for its reason. Default 5 minutes. */
  reasonTtlSeconds?: number;
}

export interface StaffChat {
  /** A staff chat update handled (with what its button shows), or undefined: not the staff chat's. */
  handle(message: InboundMessage): Promise<InboundAck | undefined>;
}

/** The filter: a message from the group its channel serves as the staff chat (the adapter says). */
export const isStaffChat = (m: InboundMessage) => m.isStaffChat === true && m.isGroup === true;

const staffChatMiddleware = compose<StaffContext>(
  filter(isCardPress, cardPresses),
  filter(isMessage, reasonAnswer),
);

/** The staff chat when its channel (STAFF_CHANNEL) has a group configured, else undefined. */
export function createStaffChat(ctx: StaffChatResources, deps: StaffChatDeps): StaffChat | undefined {
  const chat = staffChatOf(ctx.config);
  if (!chat) return undefined;
  if (chat.userIds.length === 0)
    ctx.logger.warn(
      { component: 'staff-chat' },
      `${chat.userIdsSetting} is empty: only linked console accounts can decide in the staff chat`,
    );
  const services: StaffChatServices = {
    models: ctx.models,
    outbox: deps.outbox,
    requests: deps.requests,
    allowlist: deps.allowlist ?? createStaffAllowlist(ctx),
    names: staffNames(ctx),
    pending: pendingReasonStore(ctx),
    now: deps.now ?? (() => new Date()),
    reasonTtlSeconds: deps.reasonTtlSeconds ?? 300,
    log: ctx.logger.child({ component: 'staff-chat' }),
    tag: (value) => logTag(ctx.config.otp.secret, value),
  };
  return {
    async handle(message) {
      if (!isStaffChat(message)) return undefined;
      const c = createStaffContext(services, message);
      await staffChatMiddleware(c, async () => {});
      return c.ack;
    },
  };
}

/**
 * For the outbound worker's onSent hook (any process that sends staff messages): a Tolak
 * question was sent, so a reply to it now finds its request.
 */
export async function staffMessageSent(ctx: RedisStore, sent: SentNotice): Promise<void> {
  const asked = parseReasonCorrelation(sent.meta.correlation);
  if (!asked || !sent.messageId || !/^\d{1,12}$/.test(sent.messageId)) return;
  await pendingReasonStore(ctx).promptSent(sent.chatId, asked.userId, asked.ref, Number(sent.messageId));
}
