import type { Types } from 'mongoose';
import type { AppContext } from '../src/app/context.js';
import type { InboundMessage } from '../src/channels/types.js';
import { ConversationEngine, flowCatalog } from '../src/conversation/engine.js';
import { loadFlows } from '../src/conversation/flow-loader.js';
import { FLOWS_DIR } from '../src/conversation/runtime.js';
import { linkChat } from '../src/identity/links.js';
import { createOtpService } from '../src/identity/otp.js';
import { createConsoleOtpProvider } from '../src/identity/otp-providers/index.js';
import { createOutbox } from '../src/outbound/outbox.js';
import { createRequestService } from '../src/requests/index.js';
import { newRef } from '../src/requests/ref.js';

/** The engine with its real dependencies, as test/integration/conversations.test.ts builds it. */
export function buildEngine(ctx: AppContext) {
  const outbox = createOutbox(ctx);
  const otp = createOtpService(ctx, createConsoleOtpProvider(ctx));
  const requests = createRequestService(ctx, { outbox });
  const engine = new ConversationEngine(ctx, { otp, requests }, loadFlows(FLOWS_DIR, flowCatalog()));
  return {
    engine,
    async close() {
      await otp.drain();
      await requests.close();
      await outbox.close();
    },
  };
}

/**
 * Verified chats: each linked to its own customer (as a correct code would), with one finished
 * request on file so `status` has something to show.
 */
export async function verifiedChats(
  ctx: AppContext,
  customers: Types.ObjectId[],
  channel = 'webchat',
): Promise<string[]> {
  const now = new Date();
  await ctx.models.PrivacyRequest.insertMany(
    customers.map((customerId, i) => ({
      ref: newRef(),
      type: 'unsubscribe',
      customerId,
      channel,
      chatId: `bench-chat-${i}`,
      locale: 'id',
      status: 'completed',
      flags: [],
      dueAt: new Date(now.getTime() + 86_400_000),
      reminders: [],
      history: [{ at: now, from: null, to: 'queued', actor: 'customer' }],
      attempts: 1,
      createdAt: now,
    })),
    { lean: true },
  );
  const chats: string[] = [];
  for (const [i, customerId] of customers.entries()) {
    const chatId = `bench-chat-${i}`;
    await linkChat(ctx, channel, chatId, String(customerId));
    chats.push(chatId);
  }
  return chats;
}

let seq = 0;
export function textMessage(chatId: string, text: string, channel = 'webchat'): InboundMessage {
  return {
    channel,
    chatId,
    senderId: chatId,
    messageId: `bm-${++seq}`,
    messageKey: `${chatId}:bm-${seq}`,
    receivedAt: new Date(),
    text,
  };
}
