import { createOutboundComponent } from '../outbound/index.js';
import { recordPromoMessage } from '../promo/index.js';
import { outboxStaffNotifier } from '../requests/index.js';
import type { ComponentFactory } from './component.js';

/**
 * The worker role's outbound sender, wired here because only the app knows every module: dead
 * letters are told to staff (through the outbox), and a sent promo is remembered so a STOP
 * quoting it is tied to it by the platform id the send returned.
 */
export const createOutboundSenderComponent: ComponentFactory = (ctx) =>
  createOutboundComponent(ctx, (outbox) => {
    const staff = outboxStaffNotifier(ctx, outbox);
    return {
      onDeadLetter: (notice) => staff.deadLetter(notice),
      onSent: (sent) => recordPromoMessage(ctx, sent),
    };
  });
