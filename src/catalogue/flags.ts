import type { RequestFlag } from '../db/index.js';
import type { Locale } from './locale.js';

/**
 * What each flag that sends a request to staff says, in each language: the console words it in
 * its language, the Telegram cards in Indonesian. A flag is stored as its code and the number
 * its reason states (`n`: orders, the daily limit), beside the Indonesian sentence, which is what
 * a request stored before the number was (and a rule the catalogue does not know) still shows.
 */
const FLAG_REASONS: Record<Locale, Record<string, (n: number) => string>> = {
  id: {
    OPEN_ORDER: (n) => `${n} pesanan masih terjadwal atau sedang dikerjakan`,
    UNPAID_ORDER: (n) => `${n} pesanan belum dibayar`,
    PHONE_CHANGE: () => 'perubahan nomor telepon perlu persetujuan staf',
    TOO_MANY_REQUESTS: (n) => `lebih dari ${n} permintaan dalam 24 jam`,
  },
  en: {
    OPEN_ORDER: (n) =>
      n === 1 ? '1 order still scheduled or in progress' : `${n} orders still scheduled or in progress`,
    UNPAID_ORDER: (n) => (n === 1 ? '1 unpaid order' : `${n} unpaid orders`),
    PHONE_CHANGE: () => 'a phone number change needs staff approval',
    TOO_MANY_REQUESTS: (n) => `more than ${n} requests in 24 hours`,
  },
};

/** The codes whose reason states a number: without one (stored before it was) the stored text shows. */
const COUNTED = new Set(['OPEN_ORDER', 'UNPAID_ORDER', 'TOO_MANY_REQUESTS']);

/** Whether the catalogue words this flag (its code known, its number there when the reason needs one). */
export function isCataloguedFlag(flag: Pick<RequestFlag, 'code' | 'n'>): boolean {
  return Object.hasOwn(FLAG_REASONS.id, flag.code) && (!COUNTED.has(flag.code) || typeof flag.n === 'number');
}

/**
 * A flag's reason in `locale`; a flag the catalogue cannot word (an older stored request's
 * counted flag, another tenant's rule) shows the sentence stored with it.
 */
export function flagReason(flag: Pick<RequestFlag, 'code' | 'reason' | 'n'>, locale: Locale): string {
  if (!isCataloguedFlag(flag)) return flag.reason;
  const word = FLAG_REASONS[locale][flag.code];
  return word ? word(flag.n ?? 0) : flag.reason;
}
