import type { UpdatableField } from './changes.js';

/**
 * Every message the request lifecycle sends a customer, in Indonesian and English. One
 * dictionary, so a wording change is one edit and a missing translation is a type error.
 */

import { FIELD_LABELS, type Locale } from '../catalogue/index.js';

export { type Locale, toLocale } from '../catalogue/index.js';

type Notice<P> = { id: (p: P) => string; en: (p: P) => string };

// Every updatable field has its words in the one catalogue (a new field without them: a type error).
const FIELD_NAMES: Record<UpdatableField, Record<Locale, string>> = FIELD_LABELS;

const list = (fields: UpdatableField[], locale: Locale) =>
  fields.map((f) => FIELD_NAMES[f][locale]).join(', ');

type Ref = { ref: string };
type Contact = { contact: string };

export const notices = {
  flaggedForReview: {
    id: ({ ref }) =>
      `Permintaan ${ref} perlu ditinjau staf kami terlebih dahulu. Kami akan mengabari Anda hasilnya di chat ini.`,
    en: ({ ref }) =>
      `Request ${ref} needs a review by our staff first. We will tell you the outcome in this chat.`,
  } satisfies Notice<Ref>,
  approved: {
    id: ({ ref }) => `Permintaan ${ref} disetujui staf dan sedang kami proses.`,
    en: ({ ref }) => `Request ${ref} was approved by our staff and is being processed.`,
  } satisfies Notice<Ref>,
  rejected: {
    id: ({ ref, reason, contact }) =>
      `Permintaan ${ref} tidak dapat kami proses. Alasan dari staf: ${reason}\nPertanyaan? Hubungi ${contact}.`,
    en: ({ ref, reason, contact }) =>
      `We cannot process request ${ref}. Our staff's reason: ${reason}\nQuestions? Contact ${contact}.`,
  } satisfies Notice<Ref & Contact & { reason: string }>,
  accessReady: {
    id: ({ ref }) =>
      `Ini salinan data pribadi Anda (permintaan ${ref}): data-saya.pdf untuk dibaca, data-saya.json untuk dipindahkan ke layanan lain.`,
    en: ({ ref }) =>
      `Here is a copy of your personal data (request ${ref}): data-saya.pdf to read, data-saya.json to take to another service.`,
  } satisfies Notice<Ref>,
  updated: {
    id: ({ ref, fields }) => `Data Anda sudah diperbarui: ${list(fields, 'id')} (permintaan ${ref}).`,
    en: ({ ref, fields }) => `Your details were updated: ${list(fields, 'en')} (request ${ref}).`,
  } satisfies Notice<Ref & { fields: UpdatableField[] }>,
  phoneUnavailable: {
    id: ({ ref, contact }) =>
      `Nomor telepon baru tidak dapat dipakai untuk akun Anda, jadi data Anda tidak diubah (permintaan ${ref}). Hubungi ${contact} bila perlu bantuan.`,
    en: ({ ref, contact }) =>
      `The new phone number cannot be used for your account, so nothing was changed (request ${ref}). Contact ${contact} if you need help.`,
  } satisfies Notice<Ref & Contact>,
  invalidChanges: {
    id: ({ ref }) =>
      `Perubahan pada permintaan ${ref} tidak valid, jadi data Anda tidak diubah. Silakan coba lagi.`,
    en: ({ ref }) => `The changes in request ${ref} are not valid, so nothing was changed. Please try again.`,
  } satisfies Notice<Ref>,
  erased: {
    id: ({ ref, kept }) =>
      `Data pribadi Anda sudah kami hapus (permintaan ${ref}). Untuk pembukuan, pesanan yang sudah selesai hanya kami simpan sebagai nomor pesanan, tanggal, layanan, jumlah dan status pembayaran.${
        kept > 0
          ? ` ${kept} pesanan yang masih berjalan atau belum dibayar tetap kami simpan sampai selesai.`
          : ''
      } Anda tidak akan menerima promosi lagi.`,
    en: ({ ref, kept }) =>
      `Your personal data has been deleted (request ${ref}). For bookkeeping, finished orders are kept only as order number, date, service, amount and payment status.${
        kept > 0 ? ` ${kept} order(s) still open or unpaid are kept until they are settled.` : ''
      } You will not receive promotions any more.`,
  } satisfies Notice<Ref & { kept: number }>,
  unsubscribed: {
    id: (_: Ref) =>
      'Anda tidak akan menerima promosi dari kami lagi. Ketik LANGGANAN bila ingin menerimanya kembali.',
    en: (_: Ref) => 'You will not receive promotions from us any more. Type SUBSCRIBE to receive them again.',
  } satisfies Notice<Ref>,
  subscribed: {
    id: (_: Ref) =>
      'Terima kasih, Anda akan menerima info promo kami. Ketik BERHENTI kapan saja untuk berhenti.',
    en: (_: Ref) => 'Thank you, you will receive our promotions. Type STOP at any time to stop them.',
  } satisfies Notice<Ref>,
  restricted: {
    id: ({ ref, scope }) =>
      `Pemrosesan data Anda sudah kami batasi (permintaan ${ref}): ${
        scope === 'all'
          ? 'kami hanya memproses data Anda untuk layanan yang sudah disepakati dan kewajiban hukum'
          : 'data Anda tidak dipakai untuk pemasaran maupun profil'
      }. Anda tidak akan menerima promosi, dan data Anda tidak kami ekspor kecuali salinan untuk Anda sendiri. Ketik LANJUTKAN untuk mencabut pembatasan.`,
    en: ({ ref, scope }) =>
      `Processing of your data is now restricted (request ${ref}): ${
        scope === 'all'
          ? 'we process your data only for services already agreed and legal obligations'
          : 'your data is not used for marketing or profiling'
      }. You will receive no promotions, and your data is not exported except in copies for you. Type RESUME to lift the restriction.`,
  } satisfies Notice<Ref & { scope: 'marketing' | 'all' }>,
  restrictionLifted: {
    id: ({ ref }) => `Pembatasan pemrosesan data Anda sudah dicabut (permintaan ${ref}).`,
    en: ({ ref }) => `The restriction of processing of your data has been lifted (request ${ref}).`,
  } satisfies Notice<Ref>,
  restrictionLiftedByStaff: {
    id: ({ ref, reason, contact }) =>
      `Staf kami mencabut pembatasan pemrosesan data Anda (permintaan ${ref}). Alasan: ${reason}\nPertanyaan atau keberatan? Hubungi ${contact}, atau ketik BATASI untuk membatasi lagi.`,
    en: ({ ref, reason, contact }) =>
      `Our staff lifted the restriction of processing of your data (request ${ref}). Reason: ${reason}\nQuestions or objections? Contact ${contact}, or type RESTRICT to restrict it again.`,
  } satisfies Notice<Ref & Contact & { reason: string }>,
  notRestricted: {
    id: ({ ref }) =>
      `Tidak ada pembatasan pemrosesan pada data Anda, jadi tidak ada yang dicabut (permintaan ${ref}).`,
    en: ({ ref }) =>
      `There is no restriction on processing your data, so nothing was lifted (request ${ref}).`,
  } satisfies Notice<Ref>,
  failed: {
    id: ({ ref, contact }) =>
      `Maaf, permintaan ${ref} belum dapat kami selesaikan. Staf kami akan menindaklanjutinya; Anda juga dapat menghubungi ${contact}.`,
    en: ({ ref, contact }) =>
      `Sorry, we could not complete request ${ref}. Our staff will follow up; you can also contact ${contact}.`,
  } satisfies Notice<Ref & Contact>,
};

export type NoticeId = keyof typeof notices;
export type NoticeParams<K extends NoticeId> = Parameters<(typeof notices)[K]['id']>[0];

export function renderNotice<K extends NoticeId>(id: K, locale: Locale, params: NoticeParams<K>): string {
  const notice = notices[id] as Notice<NoticeParams<K>>;
  return notice[locale](params);
}
