import type { AppContext } from '../app/context.js';
import { channelDefinition, channelDefinitions } from '../channels/registry.js';
import { chatsOfCustomer, type LinkStore, linkedCustomer } from '../identity/links.js';

/**
 * Where a customer can be reached for a promotion.
 *
 * - A channel that addresses a person by phone (its definition's `chatOfPhone`: WhatsApp) reaches
 *   them at the chat of the customer's number (only where that channel is enabled).
 * - Every other channel (Telegram, the dev web chat) only through a chat LINKED to the customer:
 *   one where they verified with a code within VERIFIED_LINK_TTL_SECONDS (identity/links.ts).
 *   A Telegram chat id is not something we know from a customer's record; we never guess one.
 *   The reverse set can outlive a link or name a chat since linked to someone else, so a chat
 *   counts only while its link still points to this customer.
 */

export interface Reachable {
  channel: string;
  chatId: string;
}

export function isRegisteredChannel(channel: string): boolean {
  return channelDefinitions.some((d) => d.name === channel);
}

/** Whether the channel is configured here: its definition reads the config alone. */
export function isChannelEnabled(deps: Pick<AppContext, 'config'>, channel: string): boolean {
  return channelDefinitions.find((d) => d.name === channel)?.enabled(deps) ?? false;
}

export function registeredChannels(): string[] {
  return channelDefinitions.map((d) => d.name);
}

async function linkedChatsOn(links: LinkStore, customerId: string, channel: string): Promise<string[]> {
  const chats = (await chatsOfCustomer(links, customerId)).filter((c) => c.channel === channel);
  if (chats.length === 0) return [];
  const owners = await Promise.all(chats.map((c) => linkedCustomer(links, channel, c.chatId)));
  return chats
    .filter((_, i) => owners[i] === customerId)
    .map((c) => c.chatId)
    .sort();
}

/** The customer's chat on one channel, or undefined. */
export async function chatOn(
  links: LinkStore,
  channel: string,
  customer: { _id: unknown; phone?: string | null },
): Promise<string | undefined> {
  const byPhone = channelDefinition(channel)?.chatOfPhone;
  if (byPhone) return customer.phone ? byPhone(customer.phone) : undefined;
  return (await linkedChatsOn(links, String(customer._id), channel))[0];
}

/** The first channel of the preference list (enabled ones only) that reaches the customer. */
export async function firstReachable(
  links: LinkStore,
  channels: string[],
  customer: { _id: unknown; phone?: string | null },
): Promise<Reachable | undefined> {
  for (const channel of channels) {
    const chatId = await chatOn(links, channel, customer);
    if (chatId) return { channel, chatId };
  }
  return undefined;
}
