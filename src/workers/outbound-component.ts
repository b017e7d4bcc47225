import type { ComponentFactory } from '../app/component.js';
import { recordPromoMessage } from '../promo/replies.js';
import { outboxStaffNotifier } from '../requests/staff-notices.js';
import { createOutbox } from './outbound-outbox.js';
import { createStatelessOutboundComponent } from './outbound-worker.js';

/**
 * The worker role's sender for stateless channels (Telegram, web chat), with dead letters
 * reported to the staff chat (itself through the outbox: a failed staff notice is not re-reported).
 */
export const createOutboundComponent: ComponentFactory = (ctx) => {
  const outbox = createOutbox(ctx);
  const staff = outboxStaffNotifier(ctx, outbox);
  const worker = createStatelessOutboundComponent(ctx, {
    onDeadLetter: (notice) => staff.deadLetter(notice),
    // A STOP quoting a promo is tied to it by the platform id the send returned.
    onSent: (sent) => recordPromoMessage(ctx, sent),
  });
  if (!worker) {
    void outbox.close();
    return undefined;
  }
  return {
    ...worker,
    async stop() {
      await worker.stop();
      await outbox.close();
    },
  };
};
