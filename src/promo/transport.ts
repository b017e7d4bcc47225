import { type ChannelDeps, channelDefinitions } from '../channels/registry.js';
import type { ChannelAdapter, OutboundMessage } from '../channels/types.js';
import { createOutbox, type OutboundMeta, type OutboxDeps, type OutboxHandle } from '../outbound/index.js';
import { sleep } from './throttle.js';

/**
 * How a promo message leaves, per channel:
 *
 * - `direct`: channels any process may call (sendFrom 'any': Telegram's HTTP Bot API, the dev
 *   web chat) are sent by this process through the channel adapter. The consent check then
 *   happens milliseconds before the platform call, not minutes before behind a queue; the
 *   platform's message id comes back at once (a STOP replying to it names the promotion); and a
 *   crash leaves at most the few messages in flight uncertain.
 * - `outbox`: a channel whose session one gateway holds (sendFrom 'gateway': WhatsApp Web) can
 *   only be sent by that gateway, so the message goes through the outbound queue with
 *   meta {purpose:'promo', promoId, dedupeKey}. The dedupe key makes a re-queue after a crash
 *   harmless; the sender keeps the queue short (`waitForRoom`) so the check stays recent.
 */
export type Via = 'direct' | 'outbox';

export interface PromoTransport {
  via(channel: string): Via;
  /** Outbox channels: waits while the channel's queue already holds enough waiting messages. */
  waitForRoom(channel: string, signal?: AbortSignal): Promise<void>;
  send(
    channel: string,
    chatId: string,
    message: OutboundMessage,
    meta: OutboundMeta,
  ): Promise<{ messageId?: string }>;
  close(): Promise<void>;
}

/** What sending needs: the direct channels' adapters are made from ChannelDeps, the outbox from OutboxDeps. */
export type PromoTransportDeps = ChannelDeps & OutboxDeps;

export interface TransportOptions {
  /** Queued-but-unsent messages allowed per outbox channel. */
  maxBacklog?: (channel: string) => number;
}

export function createPromoTransport(
  deps: PromoTransportDeps,
  options: TransportOptions = {},
): PromoTransport {
  const adapters = new Map<string, ChannelAdapter>();
  const lastRoomCheck = new Map<string, number>();
  let outbox: OutboxHandle | undefined;
  const maxBacklog = options.maxBacklog ?? (() => 10);

  const definition = (channel: string) => {
    const found = channelDefinitions.find((d) => d.name === channel);
    if (!found) throw new Error(`channel ${channel} is not registered`);
    return found;
  };
  const via = (channel: string): Via => (definition(channel).sendFrom === 'any' ? 'direct' : 'outbox');

  const outboxOf = () => {
    outbox ??= createOutbox(deps);
    return outbox;
  };

  return {
    via,
    async waitForRoom(channel, signal) {
      if (via(channel) !== 'outbox') return;
      // A check every quarter second is plenty: the throttle spaces sends anyway.
      if (performance.now() - (lastRoomCheck.get(channel) ?? 0) < 250) return;
      while ((await outboxOf().backlog(channel)) >= maxBacklog(channel)) await sleep(500, signal);
      lastRoomCheck.set(channel, performance.now());
    },
    async send(channel, chatId, message, meta) {
      if (via(channel) === 'outbox') {
        await outboxOf().send(channel, chatId, [message], meta);
        return {};
      }
      let adapter = adapters.get(channel);
      if (!adapter) {
        // Send-only: never started, so it receives nothing.
        adapter = definition(channel).createAdapter(deps);
        adapters.set(channel, adapter);
      }
      // Why it is sent, as the outbound worker tells it: a channel that may write first only with
      // approved templates sends a promotion as its marketing template.
      return adapter.send(chatId, message, {
        ...(meta.purpose ? { purpose: meta.purpose } : {}),
        ...(meta.promoId ? { promoId: meta.promoId } : {}),
      });
    },
    async close() {
      await Promise.allSettled([...adapters.values()].map((a) => a.stop()));
      await outbox?.close();
    },
  };
}
