import type { Component } from '../app/component.js';
import type { AppContext } from '../app/context.js';
import { type ChannelDefinition, channelDefinitions } from '../channels/registry.js';
import type { ChannelAdapter, ChannelHooks, InboundMessage } from '../channels/types.js';
import { type Conversation, createConversation } from '../conversation/runtime.js';
import { countInbound } from '../metrics/inbound.js';
import {
  createOutboundWorker,
  createOutbox,
  type OutboundWorker,
  type OutboxHandle,
  recordDeliveryFailure,
} from '../outbound/index.js';
import { recordPromoMessage } from '../promo/index.js';
import { createStaffChat, type StaffChat, staffMessageSent } from '../staff/chat/index.js';
import { outboxStaffNotifier } from '../staff/outbox-notifier.js';

/**
 * The replies to one inbound message are queued once. Built from `messageKey` (unique across
 * chats), never `messageId`: Telegram numbers messages per chat, and a key without the chat made
 * BullMQ drop the replies to every new chat whose first message id an earlier chat had used.
 */
export function replyDedupeKey(inbound: Pick<InboundMessage, 'channel' | 'messageKey'>): string {
  return `reply:${inbound.channel}:${inbound.messageKey}`;
}

/**
 * The gateway role: every enabled channel's adapter receives, the conversation engine answers,
 * and the replies go out through the outbound queue. Channels whose session lives here
 * (sendFrom 'gateway': WhatsApp Web) also get their outbound worker here.
 */
export function createGatewayComponent(ctx: AppContext): Component | undefined {
  const definitions = channelDefinitions.filter((d) => d.enabled(ctx));
  const log = ctx.logger.child({ component: 'gateway' });
  if (definitions.length === 0) {
    log.warn(
      `no channel is enabled (configure one of: ${channelDefinitions.map((d) => d.name).join(', ')}; README, Channels)`,
    );
    return undefined;
  }
  let outbox: OutboxHandle | undefined;
  let conversation: Conversation | undefined;
  let sessionWorker: OutboundWorker | undefined;
  let staffChat: StaffChat | undefined;
  const adapters = new Map<string, ChannelAdapter>();

  const handle = countInbound(ctx.metrics, (inbound) => {
    if (!conversation) throw new Error('conversation not started');
    return conversation.engine.handle(inbound);
  });
  const unwatch: (() => void)[] = [];

  const onInbound = async (inbound: InboundMessage) => {
    if (!conversation || !outbox) return;
    // The staff chat's filter first: its updates never reach the customer engine.
    const staffAck = await staffChat?.handle(inbound);
    if (staffAck) return staffAck;
    // Reply latency is measured from here to the first reply sent (outbound worker).
    const inboundAt = Date.now();
    const replies = await handle(inbound);
    if (replies.length > 0) {
      await outbox.send(inbound.channel, inbound.chatId, replies, {
        purpose: 'reply',
        dedupeKey: replyDedupeKey(inbound),
        inboundAt,
      });
    }
  };

  return {
    name: 'gateway',
    async start() {
      outbox = createOutbox(ctx);
      const staff = outboxStaffNotifier(ctx, outbox);
      conversation = createConversation(ctx, {
        outbox,
        staff,
        codeChannels: definitions.filter((d) => d.deliversCodes),
      });
      for (const definition of definitions) adapters.set(definition.name, definition.createAdapter(ctx));
      for (const [name, adapter] of adapters)
        if (ctx.metrics) unwatch.push(ctx.metrics.watchChannel(name, () => adapter.health()));
      // Staff chat presses and reasons (TELEGRAM_STAFF_CHAT_ID) go to src/staff/chat/, not the engine.
      staffChat = createStaffChat(ctx, { outbox, requests: conversation.requests });
      const held = definitions.filter((d: ChannelDefinition) => d.sendFrom === 'gateway');
      if (held.length > 0) {
        sessionWorker = createOutboundWorker(ctx, {
          channels: held.map((d) => d.name),
          onDeadLetter: (notice) => staff.deadLetter(notice),
          // A STOP quoting a promo is tied to it by the platform id the send returned; a staff
          // question to the replies that answer it.
          onSent: async (sent) => {
            await recordPromoMessage(ctx, sent);
            await staffMessageSent(ctx, sent);
          },
          resolveAdapter: (channel) => {
            const adapter = adapters.get(channel);
            return adapter?.health().ok ? adapter : undefined;
          },
        });
        await sessionWorker.start();
      }
      // A message the platform reported undelivered after accepting it (a status webhook).
      const hooks: ChannelHooks = {
        onDeliveryFailed: async (failure) => staff.deadLetter(await recordDeliveryFailure(ctx, failure)),
      };
      for (const [name, adapter] of adapters) {
        await adapter.start(onInbound, hooks);
        log.info({ channel: name, state: adapter.health().state }, 'channel started');
      }
    },
    async stop() {
      for (const stopWatching of unwatch.splice(0)) stopWatching();
      await Promise.allSettled([...adapters.values()].map((a) => a.stop()));
      await sessionWorker?.stop();
      await conversation?.close();
      await outbox?.close();
    },
  };
}
