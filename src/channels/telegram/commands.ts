import type { Telegram } from 'telegraf';
import type { callSignal } from './api-signal.js';

type BotCommand = { command: string; description: string };

/**
 * The bot's command menu: Indonesian by default (and for Indonesian clients), English for
 * clients set to English. Each command reaches the engine as the keyword it already
 * understands (`/akses` → `akses`), so commands need no engine support of their own.
 */
export const commandsId: BotCommand[] = [
  { command: 'menu', description: 'Tampilkan menu' },
  { command: 'akses', description: 'Minta salinan data saya' },
  { command: 'ubah', description: 'Ubah data saya' },
  { command: 'hapus', description: 'Hapus data saya' },
  { command: 'berhenti', description: 'Berhenti menerima promosi' },
  { command: 'batasi', description: 'Batasi pemrosesan data saya' },
  { command: 'lanjutkan', description: 'Cabut pembatasan pemrosesan' },
  { command: 'status', description: 'Status permintaan saya' },
  { command: 'batal', description: 'Batalkan langkah saat ini' },
  { command: 'bantuan', description: 'Bantuan' },
];

export const commandsEn: BotCommand[] = [
  { command: 'menu', description: 'Show the menu' },
  { command: 'access', description: 'Get a copy of my data' },
  { command: 'update', description: 'Update my data' },
  { command: 'delete', description: 'Delete my data' },
  { command: 'stop', description: 'Stop promotions' },
  { command: 'restrict', description: 'Restrict processing of my data' },
  { command: 'resume', description: 'Lift the restriction of processing' },
  { command: 'status', description: 'Status of my requests' },
  { command: 'cancel', description: 'Cancel the current step' },
  { command: 'help', description: 'Help' },
];

export async function registerCommands(
  telegram: Telegram,
  signal: () => ReturnType<typeof callSignal>,
): Promise<void> {
  await telegram.callApi('setMyCommands', { commands: commandsId }, signal());
  await telegram.callApi('setMyCommands', { commands: commandsId, language_code: 'id' }, signal());
  await telegram.callApi('setMyCommands', { commands: commandsEn, language_code: 'en' }, signal());
}

/**
 * `/akses@SanitaJayaBot 2024` → `akses 2024`: the engine reads keywords, not slash commands.
 * `/start` (sent when someone first opens the bot, possibly with a deep-link payload) is the menu.
 */
export function commandToText(text: string): string {
  const m = /^\/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m?.[1]) return text;
  const word = m[1].toLowerCase();
  if (word === 'start') return 'menu';
  const rest = m[2]?.trim();
  return rest ? `${word} ${rest}` : word;
}
