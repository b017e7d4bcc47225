import type { OutboundMessage } from '../channels/types.js';

/** What of the customer a kept message must not quote: free-text values, and phone numbers. */
export interface PersonalValues {
  /** Name, email, address, requested new values…: matched case-insensitively. */
  texts: string[];
  /** E.164 numbers: matched on their digits, however a text spaces or dashes them. */
  phones: string[];
}

/** Which of a chat's stored messages survive an erase. */
export type KeepMessage = (message: OutboundMessage) => boolean;

/**
 * What an erase keeps of the replies a channel stores for a chat (the web chat's reply list,
 * which its page may not have read yet): the erase request's own messages, which name its ref —
 * the acknowledgement ("Permintaan penghapusan PR-… diterima"), a staff decision about it — as
 * long as they quote nothing of the customer. Everything else goes: every earlier reply (a
 * confirmation quoting the new email, verification prompts), any document (the access package),
 * and a message naming the ref that quotes the customer's data (a status list with a staff
 * reason). Why: the request is queued before its acknowledgement is sent, so the erase often runs
 * before the page has read it, and a customer who asked to be erased would otherwise never see
 * that it was received; what it says is a reference number and our own words.
 */
export function erasureKeeps(ref: string, personal: PersonalValues): KeepMessage {
  const texts = personal.texts
    .map((v) => v.trim().toLowerCase())
    // Two letters (an initial, "Jl") would match our own words, and say nothing of anyone.
    .filter((v) => v.length >= 3);
  const valueWords = personal.texts
    .flatMap((v) => v.toLowerCase().split(/[^\p{L}]+/u))
    .filter((w) => w.length >= 3);
  const phones = personal.phones.map(significantDigits).filter((d) => d.length >= 8);
  // The ref as a whole token: PR-ABC123 is not named by PR-ABC1234.
  const namesRef = new RegExp(`(^|[^A-Za-z0-9-])${escapeRegExp(ref)}([^A-Za-z0-9]|$)`);
  return (message) => {
    if (message.kind === 'document') return false;
    const shown = textOf(message);
    if (!namesRef.test(shown)) return false;
    const lower = shown.toLowerCase();
    if (texts.some((v) => lower.includes(v))) return false;
    // Any word of a name or an address on its own counts ("Bu Siti"): keeping too little is the
    // safe side, it costs only the acknowledgement.
    const words = new Set(lower.split(/[^\p{L}]+/u));
    if (valueWords.some((w) => words.has(w))) return false;
    const digits = shown.replace(/(?<=\d)[\s().-]+(?=\d)/g, '');
    return !phones.some((p) => digits.includes(p));
  };
}

/** Everything a message shows: its text, and its buttons' labels. */
function textOf(message: Exclude<OutboundMessage, { kind: 'document' }>): string {
  if (message.kind === 'buttons') return [message.text, ...message.buttons.map((b) => b.label)].join('\n');
  if (message.kind === 'contact_request') return `${message.text}\n${message.buttonLabel}`;
  return message.text;
}

/** `+6281287611943` → `81287611943`: the digits every written form of the number contains. */
function significantDigits(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  return digits.startsWith('62') ? digits.slice(2) : digits;
}

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
