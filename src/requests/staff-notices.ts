import type { AppContext } from '../app/context.js';
import type { Outbox } from '../channels/outbox.js';
import type { StaffNotifier } from './api.js';

const SLA_TEXT = {
  '48h': 'jatuh tempo dalam 48 jam',
  '24h': 'jatuh tempo dalam 24 jam',
  overdue: 'SUDAH LEWAT batas waktu',
} as const;

/**
 * Staff notifications until the staff module (src/staff/) provides its own: a plain text to the
 * Telegram staff chat through the outbox when TELEGRAM_STAFF_CHAT_ID is set, a log line always.
 * Texts carry only the ref: staff look the request up in the console.
 */
export function outboxStaffNotifier(ctx: AppContext, outbox: Outbox): StaffNotifier {
  const log = ctx.logger.child({ component: 'staff-notices' });
  const staffChat = ctx.config.telegram.staffChatId;
  const tell = async (text: string, dedupeKey: string, requestRef?: string) => {
    if (!staffChat) return;
    await outbox.send('telegram', staffChat, [{ kind: 'text', text }], {
      purpose: 'staff',
      dedupeKey,
      ...(requestRef ? { requestRef } : {}),
    });
  };
  return {
    async requestFlagged(ref) {
      log.info({ ref }, 'request waits for staff approval');
      await tell(`Permintaan ${ref} menunggu persetujuan staf.`, `${ref}:staff:flagged`, ref);
    },
    async slaReminder(ref, which) {
      log.warn({ ref, which }, 'request SLA reminder');
      await tell(`Pengingat: permintaan ${ref} ${SLA_TEXT[which]}.`, `${ref}:staff:sla:${which}`, ref);
    },
    async deadLetter(summary) {
      log.error(
        { id: summary.id, channel: summary.channel, reason: summary.reason },
        'message dead-lettered',
      );
      await tell(
        `Pesan ${summary.id} (${summary.channel}) tidak terkirim: ${summary.reason}`,
        `dead:${summary.id}`,
      );
    },
  };
}
