/** What the bot says on its own, outside any conversation flow. Indonesian first. */
export function groupRedirectText(botUsername: string | undefined): string {
  const link = botUsername ? `https://t.me/${botUsername}` : undefined;
  return link
    ? `Demi privasi Anda, urusan data pribadi hanya kami layani lewat chat pribadi: ${link}\n` +
        `For your privacy, we handle personal data in private chats only: ${link}`
    : 'Demi privasi Anda, urusan data pribadi hanya kami layani lewat chat pribadi dengan bot ini.\n' +
        'For your privacy, we handle personal data in a private chat with this bot only.';
}
