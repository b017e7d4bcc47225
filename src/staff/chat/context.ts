import type { Button, InboundAck, InboundMessage, MessagePlacement } from '../../channels/types.js';
import type { Models } from '../../db/index.js';
import type { Logger } from '../../logging/logger.js';
import type { Outbox } from '../../outbound/index.js';
import type { RequestService } from '../../requests/index.js';
import type { StaffAllowlist } from '../allowlist.js';
import type { StaffAction } from '../staff-cards.js';
import type { StaffNames } from '../telegram-staff-names.js';
import type { PendingReasonStore } from './pending-reason.js';

/** What every staff chat handler may use, passed in once (src/staff/chat/index.ts builds it). */
export interface StaffChatServices {
  /** Read by the handlers: the request and its card, the customer, their orders (Detail); audit events. */
  models: Pick<Models, 'PrivacyRequest' | 'Customer' | 'ServiceOrder' | 'AuditEvent'>;
  outbox: Outbox;
  requests: Pick<RequestService, 'decide'>;
  allowlist: StaffAllowlist;
  names: StaffNames;
  pending: PendingReasonStore;
  now: () => Date;
  reasonTtlSeconds: number;
  log: Logger;
  /** A member's id as a keyed log tag (logging/logger.ts `logTag`): correlates, never names. */
  tag(value: string): string;
}

/** A button pressed on a card: which, for which request, on which card. */
export interface Press {
  /** The platform's id of this press (Telegram's callback query id): audit keys. */
  id: string;
  action: StaffAction;
  ref: string;
  cardMessageId: string;
}

/**
 * One staff chat update and what a handler can do about it, as grammY's context: `reply`,
 * `edit` and `ask` queue messages through the outbox (ordered, retried, dead-lettered like every
 * message), `answer` is what the pressed button shows.
 */
export interface StaffContext {
  readonly services: StaffChatServices;
  readonly message: InboundMessage;
  readonly chatId: string;
  /** The member who wrote or pressed (platform user id). */
  readonly userId: string;
  /** How that member is named in decisions and the audit trail. */
  readonly actor: string;
  readonly from: NonNullable<InboundMessage['senderName']>;
  /** Set by the press router for a press on a staff card. */
  press?: Press;
  readonly ack: InboundAck;
  answer(text: string): void;
  /** A text in the staff chat, quoting `replyTo` (a message of that chat) when given. */
  reply(text: string, replyTo?: string): Promise<void>;
  /** The bot's earlier message `messageId`, replaced by this text (and buttons, if any). */
  edit(messageId: string, text: string, buttons?: Button[]): Promise<void>;
  /**
   * A question to one member, whose reply field opens; `correlation` comes back with the
   * question's id once sent (the outbound worker's onSent hook), so a reply to it is matched.
   */
  ask(
    text: string,
    to: NonNullable<MessagePlacement['askReplyFrom']>,
    options: { replyTo?: string; correlation: string; requestRef: string },
  ): Promise<void>;
}

export function createStaffContext(services: StaffChatServices, message: InboundMessage): StaffContext {
  const ack: InboundAck = {};
  let sent = 0;
  // A redelivered update (the handler failed after queueing) queues nothing twice.
  const meta = (extra: { requestRef?: string; correlation?: string } = {}) => ({
    purpose: 'staff' as const,
    dedupeKey: `staff-chat:${message.channel}:${message.messageKey}:${sent++}`,
    ...extra,
  });
  const send = (m: Parameters<Outbox['send']>[2][number], extra?: Parameters<typeof meta>[0]) =>
    services.outbox.send(message.channel, message.chatId, [m], meta(extra));
  return {
    services,
    message,
    chatId: message.chatId,
    userId: message.senderId,
    // `telegram:777` for the Telegram staff chat, as decisions and audit events have always named them.
    actor: `${message.channel}:${message.senderId}`,
    from: message.senderName ?? {},
    ack,
    answer(text) {
      ack.buttonAnswer = text;
    },
    reply: (text, replyTo) => send({ kind: 'text', text, ...(replyTo ? { replyTo } : {}) }),
    edit: (messageId, text, buttons) =>
      send(
        buttons && buttons.length > 0
          ? { kind: 'buttons', text, buttons, replaces: messageId }
          : { kind: 'text', text, replaces: messageId },
      ),
    ask: (text, to, options) =>
      send(
        { kind: 'text', text, askReplyFrom: to, ...(options.replyTo ? { replyTo: options.replyTo } : {}) },
        { requestRef: options.requestRef, correlation: options.correlation },
      ),
  };
}
