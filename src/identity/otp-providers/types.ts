import type { Locale } from '../../catalogue/index.js';

/**
 * How a one-time code reaches a phone. Every provider implements this; adding an SMS gateway is
 * one file here plus one line in index.ts. `phone` is E.164. A provider throws OtpError
 * (DELIVERY_FAILED) with a sentence that holds neither the number nor the code.
 */
export interface OtpProvider {
  readonly name: string;
  /** `details.code` is for the development outbox only; real providers send `text`. */
  deliver(phone: string, text: string, locale: Locale, details?: { code: string }): Promise<void>;
}
