import { TelegramError } from 'telegraf';
import { ChannelSendError } from '../types.js';

/** The token is part of every Bot API URL (and so of network error messages): never let it out. */
export function redactToken(text: string): string {
  return text.replace(/bot\d+:[A-Za-z0-9_-]+/g, 'bot<token>');
}

/** An error's message, token removed, for logs. Never log the error object: telegraf's keeps the payload. */
export function errorMessage(err: unknown): string {
  return redactToken(err instanceof Error ? err.message : String(err));
}

/** Telegram's `retry_after` (seconds) of a 429, in milliseconds. */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof TelegramError)) return undefined;
  const seconds = err.parameters?.retry_after;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * Any error from a Bot API call → ChannelSendError, so the outbound worker decides on codes:
 * 429 waits the server's `retry_after`; 5xx and network failures are retried; a user who
 * blocked the bot (403) and a malformed request (400) are not.
 */
export function toChannelSendError(err: unknown): ChannelSendError {
  if (err instanceof ChannelSendError) return err;
  if (err instanceof TelegramError) {
    const code = err.code;
    const description = redactToken(err.description || `HTTP ${code}`);
    if (code === 429)
      return new ChannelSendError('RATE_LIMITED', `Telegram rate limit: ${description}`, retryAfterMs(err));
    if (code >= 500) return new ChannelSendError('UNAVAILABLE', `Telegram unavailable: ${description}`);
    if (code === 403)
      return new ChannelSendError('CHAT_BLOCKED', `Telegram refused the chat: ${description}`);
    // 413: a file over the Bot API's 50 MB; no retry makes it smaller.
    if (code === 400 || code === 413)
      return new ChannelSendError('BAD_REQUEST', `Telegram rejected the message: ${description}`);
    // 401 (bad token), 404, 409…: a configuration problem; retrying once it is fixed may work.
    return new ChannelSendError('UNAVAILABLE', `Telegram error ${code}: ${description}`);
  }
  // node-fetch errors (ECONNREFUSED, ECONNRESET, our own timeout's abort): the Bot API is unreachable.
  return new ChannelSendError('UNAVAILABLE', `Telegram unreachable: ${errorMessage(err)}`);
}
