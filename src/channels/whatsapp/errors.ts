import { ChannelSendError } from '../types.js';
import { OutboundConversionError } from './convert.js';

/**
 * Library errors quote chat ids ("invalid wid 6281…@c.us"): every error text leaving this
 * folder, in a log line or a ChannelSendError, has its long digit runs replaced.
 */
export function scrubbed(text: string): string {
  return text
    .replace(/[\w.+-]*@(c\.us|lid|g\.us|s\.whatsapp\.net|broadcast|newsletter)\b/g, '[chat]')
    .replace(/\+?\d[\d\s-]{4,}\d/g, '[number]')
    .slice(0, 300);
}

export function errorText(err: unknown): string {
  return scrubbed(err instanceof Error ? err.message : String(err));
}

/** The browser or its page went away mid-call: the session is down, the send may be retried. */
const SESSION_GONE =
  /session closed|target closed|protocol error|execution context was destroyed|detached frame|browser has disconnected|navigation|not connected|page crashed|net::/i;
/** WhatsApp Web refused the recipient or the content: retrying will not help. */
const REFUSED = /invalid wid|wid error|no lid for user|not a valid|invalid (chat|number|media)|unsupported/i;
const BLOCKED = /blocked/i;

/** Any failure of a send → ChannelSendError, so the outbound worker decides on codes. */
export function toChannelSendError(err: unknown): ChannelSendError {
  if (err instanceof ChannelSendError) return err;
  if (err instanceof OutboundConversionError) return new ChannelSendError('BAD_REQUEST', err.message);
  const text = errorText(err);
  if (BLOCKED.test(text)) return new ChannelSendError('CHAT_BLOCKED', `WhatsApp refused the chat: ${text}`);
  if (REFUSED.test(text))
    return new ChannelSendError('BAD_REQUEST', `WhatsApp rejected the message: ${text}`);
  if (SESSION_GONE.test(text))
    return new ChannelSendError('UNAVAILABLE', `WhatsApp session unavailable: ${text}`);
  // Unknown failures inside WhatsApp Web are usually transient (a reload, a sync in progress).
  return new ChannelSendError('UNAVAILABLE', `WhatsApp send failed: ${text}`);
}
