import { createOutboundComponent } from '../outbound/index.js';
import { recordPromoMessage } from '../promo/index.js';
import { staffMessageSent } from '../staff/chat/index.js';
import { outboxStaffNotifier } from '../staff/outbox-notifier.js';
import type { ComponentFactory } from './component.js';

/**
 * The worker role's outbound sender, wired here because only the app knows every module: dead
 * letters are told to staff (through the outbox), a sent promo is remembered so a STOP quoting
 * it is tied to it by the platform id the send returned, and a staff chat question (Tolak's
 * "why?") so the reply to it is matched.
 */
export const createOutboundSenderComponent: ComponentFactory = (ctx) =>
  createOutboundComponent(ctx, (outbox) => {
    const staff = outboxStaffNotifier(ctx, outbox);
    return {
      onDeadLetter: (notice) => staff.deadLetter(notice),
      onSent: async (sent) => {
        await recordPromoMessage(ctx, sent);
        await staffMessageSent(ctx, sent);
      },
    };
  });
