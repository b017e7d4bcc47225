/**
 * Words that work from any step. Matching is on the normalized message: lower case, accents and
 * punctuation removed, spaces collapsed — so "STOP!!", " Stop. " and "stop promo" all match.
 */
export function normalizeWords(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export type GlobalCommand = 'opt_out' | 'opt_in' | 'menu' | 'cancel' | 'help' | 'language';

const FIXED: Record<string, GlobalCommand> = {
  menu: 'menu',
  'menu utama': 'menu',
  start: 'menu',
  mulai: 'menu',
  batal: 'cancel',
  cancel: 'cancel',
  batalkan: 'cancel',
  bantuan: 'help',
  help: 'help',
  tolong: 'help',
  bahasa: 'language',
  language: 'language',
  'bahasa indonesia': 'language',
  english: 'language',
};

export interface KeywordRouter {
  /** The command a whole message is, if any. Opt-out words always win. */
  command(text: string): GlobalCommand | undefined;
}

export function createKeywordRouter(optOutWords: string[], optInWords: string[]): KeywordRouter {
  const optOut = new Set(optOutWords.map(normalizeWords));
  const optIn = new Set(optInWords.map(normalizeWords));
  return {
    command(text) {
      // Telegram commands arrive as "/start" or "/menu@SanitaBot".
      const words = normalizeWords(text.replace(/^\/(\w+)(@\w+)?/, '$1'));
      if (!words) return undefined;
      if (optOut.has(words)) return 'opt_out';
      if (optIn.has(words)) return 'opt_in';
      return FIXED[words];
    },
  };
}
