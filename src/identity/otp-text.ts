import type { Locale } from '../catalogue/index.js';

/**
 * The one message a code travels in (SMS or WhatsApp). Short, so it fits one SMS segment, and it
 * says not to share the code: the usual script of a takeover is "please read me the code".
 */
export function otpMessage(input: {
  businessName: string;
  code: string;
  validMinutes: number;
  locale: Locale;
}): string {
  const { businessName, code, validMinutes } = input;
  return input.locale === 'en'
    ? `${businessName} verification code: ${code}. Valid for ${validMinutes} minutes. Do not share this code with anyone.`
    : `Kode verifikasi ${businessName}: ${code}. Berlaku ${validMinutes} menit. Jangan berikan kode ini kepada siapa pun.`;
}
