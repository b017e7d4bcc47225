import type { Locale } from '../catalogue/index.js';
import type { Config } from '../config/index.js';

/** What the promo text is built from: the opt-out words (the footer names the first). */
export interface PromoTextDeps {
  config: { conversation: Pick<Config['conversation'], 'optOutWords'> };
}

/**
 * The promo as a customer reads it: the text in their chat's language, then, always, how to
 * stop. The stop word is the first configured opt-out word (OPT_OUT_WORDS), so the footer never
 * names a word the bot would not understand.
 */
export function stopFooter(deps: PromoTextDeps, locale: Locale): string {
  const word = (deps.config.conversation.optOutWords[0] ?? 'stop').toUpperCase();
  return locale === 'en'
    ? `Reply ${word} to stop receiving promotions.`
    : `Balas ${word} untuk berhenti menerima promosi.`;
}

export function promoText(deps: PromoTextDeps, message: { id: string; en: string }, locale: Locale): string {
  return `${message[locale]}\n\n${stopFooter(deps, locale)}`;
}
