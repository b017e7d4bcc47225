import type { AppContext } from '../app/context.js';
import type { Locale } from '../catalogue/index.js';

/**
 * The promo as a customer reads it: the text in their chat's language, then, always, how to
 * stop. The stop word is the first configured opt-out word (OPT_OUT_WORDS), so the footer never
 * names a word the bot would not understand.
 */
export function stopFooter(ctx: AppContext, locale: Locale): string {
  const word = (ctx.config.conversation.optOutWords[0] ?? 'stop').toUpperCase();
  return locale === 'en'
    ? `Reply ${word} to stop receiving promotions.`
    : `Balas ${word} untuk berhenti menerima promosi.`;
}

export function promoText(ctx: AppContext, message: { id: string; en: string }, locale: Locale): string {
  return `${message[locale]}\n\n${stopFooter(ctx, locale)}`;
}
