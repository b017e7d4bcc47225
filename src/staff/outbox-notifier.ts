import { staffChatOf } from '../channels/registry.js';
import type { OutboundMessage } from '../channels/types.js';
import type { Config } from '../config/index.js';
import type { Models } from '../db/index.js';
import type { Logger } from '../logging/logger.js';
import type { Outbox } from '../outbound/index.js';
import type { StaffNotifier } from '../requests/index.js';
import { deadLetterNotice, requestNotice } from './telegram-staff-notices.js';

/**
 * Staff notifications: a card in the staff chat (STAFF_CHANNEL, Telegram by default) through the
 * outbox when that channel has a staff group configured (Telegram: TELEGRAM_STAFF_CHAT_ID) (built by src/staff/telegram-staff-notices.ts: masked customer,
 * flags, due time in WIB, Setujui / Tolak / Detail buttons answered by src/staff/), a log line always.
 */
export function outboxStaffNotifier(
  ctx: {
    /** Which channel and group staff are told in (staffChatOf). */
    config: Config;
    /** The cards read the request, its customer, a dead letter. */
    models: Pick<Models, 'PrivacyRequest' | 'Customer' | 'DeadLetter'>;
    logger: Logger;
  },
  outbox: Outbox,
): StaffNotifier {
  const log = ctx.logger.child({ component: 'staff-notices' });
  const staffChat = staffChatOf(ctx.config);
  const tell = async (build: () => Promise<OutboundMessage>, dedupeKey: string, requestRef?: string) => {
    if (!staffChat) return;
    await outbox.send(staffChat.channel, staffChat.chatId, [await build()], {
      purpose: 'staff',
      dedupeKey,
      ...(requestRef ? { requestRef } : {}),
    });
  };
  return {
    async requestFlagged(ref) {
      log.info({ ref }, 'request waits for staff approval');
      await tell(() => requestNotice(ctx, ref, { kind: 'flagged' }), `${ref}:staff:flagged`, ref);
    },
    async slaReminder(ref, which) {
      log.warn({ ref, which }, 'request SLA reminder');
      await tell(() => requestNotice(ctx, ref, { kind: 'sla', which }), `${ref}:staff:sla:${which}`, ref);
    },
    async deadLetter(summary) {
      log.error(
        { id: summary.id, channel: summary.channel, reason: summary.reason },
        'message dead-lettered',
      );
      await tell(() => deadLetterNotice(ctx, summary), `dead:${summary.id}`);
    },
  };
}
