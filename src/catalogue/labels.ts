import type { RequestStatus, RequestType } from '../db/index.js';
import type { Locale } from './locale.js';

/**
 * The one catalogue of what a request's type and status are called, read by the customer's
 * status flow, the staff cards, the console and the access PDF. Before it, one status had four
 * Indonesian names and a customer could read another word than the staff member they called.
 * Labels are lower case for use inside a sentence; `sentenceCase` makes a heading or a cell.
 * The monthly report keeps its own legal terms (UU PDP's: "perbaikan", "penarikan persetujuan").
 */
const TYPE_LABELS: Record<Locale, Record<RequestType, string>> = {
  id: {
    access: 'salinan data',
    update: 'ubah data',
    erase: 'hapus data',
    unsubscribe: 'berhenti promosi',
    subscribe: 'langganan promosi',
    restrict: 'pembatasan pemrosesan',
  },
  en: {
    access: 'copy of data',
    update: 'data change',
    erase: 'data deletion',
    unsubscribe: 'stop promotions',
    subscribe: 'subscribe to promotions',
    restrict: 'restriction of processing',
  },
};

const STATUS_LABELS: Record<Locale, Record<RequestStatus, string>> = {
  id: {
    pending_approval: 'menunggu persetujuan staf',
    queued: 'dalam antrean',
    processing: 'sedang diproses',
    completed: 'selesai',
    rejected: 'ditolak',
    failed: 'gagal',
    cancelled: 'dibatalkan',
  },
  en: {
    pending_approval: 'awaiting approval by staff',
    queued: 'queued',
    processing: 'being processed',
    completed: 'completed',
    rejected: 'rejected',
    failed: 'failed',
    cancelled: 'cancelled',
  },
};

/** The customer fields an update may change, as the customer's notices and the staff cards name them. */
export const FIELD_LABELS = {
  name: { id: 'nama', en: 'name' },
  address: { id: 'alamat', en: 'address' },
  email: { id: 'email', en: 'email' },
  paymentMethod: { id: 'metode pembayaran', en: 'payment method' },
  phone: { id: 'nomor telepon', en: 'phone number' },
} as const satisfies Record<string, Record<Locale, string>>;
export type LabelledField = keyof typeof FIELD_LABELS;

/** A field in words; one the catalogue does not name shows as its key. */
export function fieldLabel(field: string, locale: Locale): string {
  return Object.hasOwn(FIELD_LABELS, field) ? FIELD_LABELS[field as LabelledField][locale] : field;
}

/** A request type in words; a type this build does not know (an old document) shows as stored. */
export function typeLabel(type: RequestType, locale: Locale): string {
  return TYPE_LABELS[locale][type] ?? type;
}

export function statusLabel(status: RequestStatus, locale: Locale): string {
  return STATUS_LABELS[locale][status] ?? status;
}

/** Every type's words in one language, for a view's dictionary (`as headings`: sentence case). */
export function typeLabels(
  locale: Locale,
  options: { asHeadings?: boolean } = {},
): Record<RequestType, string> {
  return mapLabels(TYPE_LABELS[locale], options.asHeadings);
}

export function statusLabels(
  locale: Locale,
  options: { asHeadings?: boolean } = {},
): Record<RequestStatus, string> {
  return mapLabels(STATUS_LABELS[locale], options.asHeadings);
}

function mapLabels<K extends string>(labels: Record<K, string>, asHeadings = false): Record<K, string> {
  return Object.fromEntries(
    Object.entries<string>(labels).map(([k, v]) => [k, asHeadings ? sentenceCase(v) : v]),
  ) as Record<K, string>;
}

/** `menunggu persetujuan staf` → `Menunggu persetujuan staf`. */
export function sentenceCase(label: string): string {
  return label.charAt(0).toLocaleUpperCase('id') + label.slice(1);
}
