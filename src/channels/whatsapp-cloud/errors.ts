import { type ChannelErrorCode, ChannelSendError } from '../types.js';

/**
 * Graph API error codes (Meta: "Cloud API error codes") → what the outbound worker does.
 * The same codes arrive synchronously (a refused send) or later in a `failed` status webhook.
 */
export function channelCodeOf(graphCode: number | undefined, httpStatus?: number): ChannelErrorCode {
  switch (graphCode) {
    // Throughput reached (130429), too many to one user (131056), app rate limits (4, 80007).
    case 130429:
    case 131056:
    case 80007:
    case 4:
      return 'RATE_LIMITED';
    // Re-engagement: more than 24 hours since the customer last wrote; only a template may go.
    case 131047:
      return 'WINDOW_CLOSED';
    // Undeliverable: not a WhatsApp user, or the customer blocked the business.
    case 131026:
      return 'CHAT_BLOCKED';
    // Token expired or revoked, service unavailable: not the message's fault; retried.
    case 190:
    case 131000:
    case 131016:
    case 2:
      return 'UNAVAILABLE';
    default:
      return httpStatus !== undefined && httpStatus >= 500 ? 'UNAVAILABLE' : 'BAD_REQUEST';
  }
}

/**
 * Whether a rate limit holds for the business number rather than one customer: throughput
 * (130429, "for each registered business phone number", Meta's Throughput page) and the app's
 * and account's limits (4, 80007) do; the pair rate limit (131056, one business number to one
 * customer) holds only that chat.
 */
export function accountWideRateLimit(error: ChannelSendError): boolean {
  return error.code === 'RATE_LIMITED' && error.platformCode !== '131056';
}

/** How long a rate-limited partition waits before the next try (Meta gives no Retry-After). */
export const RATE_LIMIT_PAUSE_MS = 2_000;

/** Meta's sentence, with anything that looks like a number or address taken out. */
export function scrubbed(text: string): string {
  return text
    .replace(/\S+@\S+/g, '[address]')
    .replace(/\+?\d[\d\s-]{5,}\d/g, '[number]')
    .slice(0, 200);
}

export function graphError(
  graphCode: number | undefined,
  httpStatus: number | undefined,
  message: string,
): ChannelSendError {
  const code = channelCodeOf(graphCode, httpStatus);
  return new ChannelSendError(
    code,
    `${scrubbed(message)}${graphCode !== undefined ? ` (Graph API code ${graphCode})` : ''}`,
    code === 'RATE_LIMITED' ? RATE_LIMIT_PAUSE_MS : undefined,
    graphCode !== undefined ? String(graphCode) : undefined,
  );
}
