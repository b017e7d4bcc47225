import type { Locale } from '../../catalogue/index.js';
import type { Lexicon } from './lexicon.js';
import { clausesOf } from './text.js';

/**
 * The language a message is written in, when it says so plainly: at least two words only that
 * language uses and none only the other uses. "I want to delete my data" is English; "stop",
 * "ok" or "promo sale" say nothing. Used for a chat's first message when the platform gave no
 * language hint (WhatsApp, the web chat), so the first reply is in the customer's language.
 */
export function guessLanguage(text: string, lexicon: Lexicon): Locale | undefined {
  let id = 0;
  let en = 0;
  for (const clause of clausesOf(text).clauses) {
    for (const word of clause) {
      if (lexicon.languages.id.has(word)) id++;
      if (lexicon.languages.en.has(word)) en++;
    }
  }
  if (en >= 2 && id === 0) return 'en';
  if (id >= 2 && en === 0) return 'id';
  return undefined;
}
