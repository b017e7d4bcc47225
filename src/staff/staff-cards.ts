import {
  fieldLabel,
  flagReason,
  statusLabel as labelOfStatus,
  typeLabel as labelOfType,
  sentenceCase,
} from '../catalogue/index.js';
import type { Button } from '../channels/types.js';
import type {
  Customer,
  DeadLetter,
  Models,
  PrivacyRequest,
  RequestStatus,
  RequestType,
} from '../db/index.js';
import { normalizeRef, openOrderFilter, unpaidOrderFilter } from '../requests/index.js';
import { maskChangeValue, maskedIdentity } from './masking.js';

/**
 * The messages staff see in the Telegram staff chat, as text built from MongoDB: the card for a
 * request (flagged, reminded), its decided form, its details, and dead letters. Only masked
 * values reach these texts (masking.ts); what staff need beyond that is in the console.
 */

// ---- buttons ------------------------------------------------------------------------------

export type StaffAction = 'approve' | 'reject' | 'detail';

const ACTION_CODES: Record<StaffAction, string> = { approve: 'a', reject: 'r', detail: 'd' };
const CALLBACK_PATTERN = /^st:([ard]):(PR-[0-9A-Z]{6})$/;

export const STAFF_BUTTON_LABELS: Record<StaffAction, string> = {
  approve: 'Setujui',
  reject: 'Tolak',
  detail: 'Detail',
};

/** `st:a:PR-7K3M9Q`: 14 bytes, well inside Telegram's 64, and readable in the Bot API logs. */
export function staffCallbackData(action: StaffAction, ref: string): string {
  return `st:${ACTION_CODES[action]}:${ref}`;
}

export function parseStaffCallbackData(
  data: string | undefined,
): { action: StaffAction; ref: string } | undefined {
  const m = data ? CALLBACK_PATTERN.exec(data) : null;
  const ref = m?.[2] ? normalizeRef(m[2]) : undefined;
  if (!m || !ref) return undefined;
  const action = (Object.keys(ACTION_CODES) as StaffAction[]).find((a) => ACTION_CODES[a] === m[1]);
  return action ? { action, ref } : undefined;
}

/** Setujui / Tolak / Detail while the request waits for staff; only Detail afterwards. */
export function cardButtons(ref: string, status: RequestStatus): Button[] {
  const actions: StaffAction[] = status === 'pending_approval' ? ['approve', 'reject', 'detail'] : ['detail'];
  return actions.map((a) => ({ label: STAFF_BUTTON_LABELS[a], value: staffCallbackData(a, ref) }));
}

// ---- words and times ----------------------------------------------------------------------

// The staff chat speaks Indonesian; the words are the catalogue's, the type's code beside them
// as the cards have always shown it.
export const typeLabel = (type: RequestType) => `${sentenceCase(labelOfType(type, 'id'))} (${type})`;
export const statusLabel = (status: RequestStatus) => labelOfStatus(status, 'id');

const WIB = new Intl.DateTimeFormat('id-ID', {
  timeZone: 'Asia/Jakarta',
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** `Sen, 12 Mei 2025 14.05 WIB`: staff work in Jakarta time whatever the server's zone. */
export function formatWib(date: Date): string {
  const p = Object.fromEntries(WIB.formatToParts(date).map((x) => [x.type, x.value]));
  return `${p.weekday}, ${p.day} ${p.month} ${p.year} ${p.hour}.${p.minute} WIB`;
}

/** `dalam 2 hari 3 jam`, `dalam 45 menit`, `lewat 5 jam`. */
export function formatDueIn(dueAt: Date, now: Date): string {
  const diff = dueAt.getTime() - now.getTime();
  const minutes = Math.floor(Math.abs(diff) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts =
    days > 0
      ? [`${days} hari`, ...(hours > 0 ? [`${hours} jam`] : [])]
      : hours > 0
        ? [`${hours} jam`]
        : [`${minutes % 60} menit`];
  return diff >= 0 ? `dalam ${parts.join(' ')}` : `lewat ${parts.join(' ')}`;
}

// ---- request cards ------------------------------------------------------------------------

const RESTRICTION_SCOPE_LABELS = {
  marketing: 'pemasaran dan profil',
  all: 'semua kecuali layanan yang disepakati dan kewajiban hukum',
} as const;

/**
 * UU PDP art. 11: while a customer's processing is restricted, staff see it on every request of
 * theirs, so nobody exports or markets to them by hand. The reason stays in the console.
 */
export function restrictionBadge(
  customer: Pick<Customer, 'processingRestriction'> | null,
): string | undefined {
  const r = customer?.processingRestriction;
  if (!r?.scope) return undefined;
  return `⛔ Pemrosesan dibatasi (${RESTRICTION_SCOPE_LABELS[r.scope]}) sejak ${formatWib(new Date(r.since))}`;
}

type CardCustomer = Pick<Customer, 'customerNo' | 'name' | 'phone' | 'erasedAt' | 'processingRestriction'>;

export interface CardData {
  request: PrivacyRequest;
  customer: CardCustomer | null;
}

/** What the cards read: a request, its customer, and (in the detail) the customer's orders. */
export interface CardDeps {
  models: Pick<Models, 'PrivacyRequest' | 'Customer' | 'ServiceOrder'>;
}

/** The request and its customer (only the fields a card shows), or undefined for an unknown ref. */
export async function loadCardData(
  deps: { models: Pick<Models, 'PrivacyRequest' | 'Customer'> },
  ref: string,
): Promise<CardData | undefined> {
  const request = await deps.models.PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>();
  if (!request) return undefined;
  const customer = request.customerId
    ? await deps.models.Customer.findById(request.customerId, {
        customerNo: 1,
        name: 1,
        phone: 1,
        erasedAt: 1,
        processingRestriction: 1,
      }).lean<CardCustomer>()
    : null;
  return { request, customer };
}

export type CardHeading =
  | { kind: 'flagged' }
  | { kind: 'sla'; which: '24h' | '48h' | 'overdue' }
  | { kind: 'plain' };

const SLA_HEADINGS = {
  '48h': 'jatuh tempo dalam 48 jam',
  '24h': 'jatuh tempo dalam 24 jam',
  overdue: 'SUDAH LEWAT batas waktu',
} as const;

function headingLine(ref: string, heading: CardHeading): string {
  switch (heading.kind) {
    case 'flagged':
      return `🔶 Perlu persetujuan: ${ref}`;
    case 'sla':
      return `⏰ Pengingat: ${ref} ${SLA_HEADINGS[heading.which]}`;
    case 'plain':
      return `Permintaan ${ref}`;
  }
}

/** The card: ref, type, masked customer, why it was flagged, when it is due. */
export function requestCardText(data: CardData, heading: CardHeading, now: Date): string {
  const r = data.request;
  const lines = [
    headingLine(r.ref, heading),
    `Jenis: ${typeLabel(r.type)}`,
    `Pelanggan: ${maskedIdentity(data.customer)}`,
  ];
  const badge = restrictionBadge(data.customer);
  if (badge) lines.push(badge);
  if (r.flags.length > 0) {
    lines.push('Alasan ditandai:');
    for (const f of r.flags) lines.push(`• ${flagReason(f, 'id')} (${f.code})`);
  }
  lines.push(`Batas waktu: ${formatWib(r.dueAt)} (${formatDueIn(r.dueAt, now)})`);
  if (heading.kind === 'sla' || r.status !== 'pending_approval')
    lines.push(`Status: ${statusLabel(r.status)}`);
  return lines.join('\n');
}

/** How a decider is shown: the staff member's name when known, and the actor id either way. */
export type StaffNameLookup = (actor: string) => Promise<string | undefined>;

export async function decisionLine(
  decision: NonNullable<PrivacyRequest['decision']>,
  names: StaffNameLookup,
): Promise<string> {
  const by = decision.by ?? 'staf';
  const name = await names(by);
  const who = name ? `${name} (${by})` : by;
  const when = decision.at ? ` pada ${formatWib(decision.at)}` : '';
  if (decision.outcome === 'approved') return `✅ Disetujui oleh ${who}${when}`;
  const reason = decision.reason ? `\nAlasan untuk pelanggan: ${decision.reason}` : '';
  return `❌ Ditolak oleh ${who}${when}${reason}`;
}

/** The card after a decision (or after the request left `pending_approval` some other way). */
export async function decidedCardText(data: CardData, names: StaffNameLookup, now: Date): Promise<string> {
  const body = requestCardText(data, { kind: 'plain' }, now);
  const d = data.request.decision;
  if (d?.outcome) return `${body}\n\n${await decisionLine(d, names)}`;
  return body;
}

/** Everything staff may see about a request here, masked: type, changes, flags, orders, history. */
export async function requestDetailText(deps: CardDeps, data: CardData, now: Date): Promise<string> {
  const r = data.request;
  const lines = [
    `🔎 Detail ${r.ref}`,
    `Jenis: ${typeLabel(r.type)}`,
    `Status: ${statusLabel(r.status)}`,
    `Pelanggan: ${maskedIdentity(data.customer)}${data.customer?.customerNo && !data.customer.erasedAt ? ` · ${data.customer.customerNo}` : ''}`,
    ...[restrictionBadge(data.customer)].filter((b): b is string => b !== undefined),
    `Kanal: ${r.channel} · bahasa: ${r.locale}`,
    `Dibuat: ${formatWib(r.createdAt)}`,
    `Batas waktu: ${formatWib(r.dueAt)} (${formatDueIn(r.dueAt, now)})`,
  ];
  const changes = r.changes && typeof r.changes === 'object' ? Object.entries(r.changes) : [];
  if (r.type === 'restrict' && r.changes) {
    const c = r.changes as { action?: string; scope?: 'marketing' | 'all'; reason?: string };
    lines.push(
      c.action === 'lift'
        ? 'Diminta: cabut pembatasan pemrosesan'
        : `Diminta: batasi pemrosesan (${c.scope ? RESTRICTION_SCOPE_LABELS[c.scope] : '?'})${c.reason ? ', dengan alasan (lihat konsol)' : ''}`,
    );
  }
  if (r.type === 'update' && changes.length > 0) {
    lines.push('Perubahan diminta:');
    for (const [field, value] of changes)
      lines.push(`• ${fieldLabel(field, 'id')}: ${maskChangeValue(field, value)}`);
  }
  if (r.flags.length > 0) {
    lines.push('Tanda:');
    for (const f of r.flags) lines.push(`• ${f.code}: ${flagReason(f, 'id')}`);
  }
  if (r.customerId && (r.type === 'erase' || r.status === 'pending_approval')) {
    const [open, unpaid] = await Promise.all([
      deps.models.ServiceOrder.countDocuments({ customerId: r.customerId, ...openOrderFilter }),
      deps.models.ServiceOrder.countDocuments({ customerId: r.customerId, ...unpaidOrderFilter }),
    ]);
    lines.push(`Pesanan: ${open} terjadwal/berjalan, ${unpaid} belum dibayar`);
  }
  if (r.decision?.outcome) {
    lines.push(
      `Keputusan: ${r.decision.outcome === 'approved' ? 'disetujui' : 'ditolak'} oleh ${r.decision.by ?? 'staf'}${r.decision.at ? ` pada ${formatWib(r.decision.at)}` : ''}`,
    );
  }
  lines.push('Riwayat:');
  for (const h of r.history.slice(-10)) {
    const from = h.from ? `${statusLabel(h.from)} → ` : '';
    lines.push(
      `• ${formatWib(h.at)}: ${from}${statusLabel(h.to)} (${h.actor})${h.note ? ` — ${h.note}` : ''}`,
    );
  }
  lines.push('Data lengkap hanya di konsol staf (setiap tampilan tercatat).');
  return lines.join('\n');
}

// ---- dead letters -------------------------------------------------------------------------

export type DeadLetterCardData = Pick<
  DeadLetter,
  'channel' | 'maskedChat' | 'reason' | 'detail' | 'purpose' | 'requestRef' | 'attempts' | 'createdAt'
> & { id: string };

/** A message that could not be delivered: masked chat, reason, purpose, the request it belonged to. */
export function deadLetterCardText(d: DeadLetterCardData): string {
  const lines = [
    `⚠️ Pesan tidak terkirim (${d.channel}, ke ${d.maskedChat})`,
    `Alasan: ${d.reason} — ${d.detail}`,
    `Keperluan: ${d.purpose} · percobaan: ${d.attempts}`,
  ];
  if (d.requestRef) lines.push(`Permintaan: ${d.requestRef}`);
  lines.push(`Waktu: ${formatWib(d.createdAt)}`, `ID: ${d.id}`);
  return lines.join('\n');
}
