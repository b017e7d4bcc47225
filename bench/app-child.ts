/**
 * The whole app (ROLE=all, web chat on) in its own process, for the memory benchmark: the parent
 * reads this process's resident size. Over IPC:
 * - `{ drive }` hands messages to a conversation engine built on the app's own context, many
 *   chats at once, and queues each reply on the outbound queue exactly as the gateway does (the
 *   app's outbound worker then delivers them to the web chat). The web chat's own inbox is read
 *   one message at a time, too slow to feed 100,000 messages;
 * - `{ gc }` answers with the memory after a full collection;
 * - `{ stop }` stops the app gracefully.
 */
import pino from 'pino';
import { loadAppConfig } from '../src/app/settings.js';
import { startApp } from '../src/app/start.js';
import type { InboundMessage } from '../src/channels/types.js';
import { createConversation } from '../src/conversation/runtime.js';
import { createLogger } from '../src/logging/logger.js';
import { createOutbox } from '../src/outbound/outbox.js';

interface Drive {
  chats: string[];
  messages: number;
  script: string[];
}

const config = loadAppConfig(process.env);
const logger = createLogger({ level: config.logLevel, destination: pino.destination('/dev/null') });
const app = await startApp(config, logger);
const outbox = createOutbox(app.ctx);
const conversation = createConversation(app.ctx, { outbox });
const gc = (globalThis as { gc?: () => void }).gc;
let sequence = 0;

async function drive({ chats, messages, script }: Drive): Promise<{ seconds: number; replies: number }> {
  const started = performance.now();
  let sent = 0;
  let replies = 0;
  await Promise.all(
    chats.map(async (chatId) => {
      while (sent < messages) {
        const n = sent++;
        const inbound: InboundMessage = {
          channel: 'webchat',
          chatId,
          senderId: chatId,
          messageId: `mem-${++sequence}`,
          messageKey: `${chatId}:mem-${sequence}`,
          receivedAt: new Date(),
          text: script[Math.floor(n / chats.length) % script.length] ?? 'menu',
        };
        const out = await conversation.engine.handle(inbound);
        replies += out.length;
        // What the gateway does with the replies (src/gateway/component.ts).
        if (out.length > 0)
          await outbox.send('webchat', chatId, out, {
            purpose: 'reply',
            dedupeKey: `reply:webchat:${inbound.messageId}`,
          });
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, replies };
}

process.on('message', async (message: { gc?: boolean; stop?: boolean; drive?: Drive }) => {
  if (message.drive) process.send?.({ driven: await drive(message.drive) });
  if (message.gc) {
    gc?.();
    process.send?.({ memory: process.memoryUsage() });
  }
  if (message.stop) {
    await conversation.close();
    await outbox.close();
    await app.stop();
    process.send?.({ stopped: true });
    process.exit(0);
  }
});
process.send?.({ ready: true, components: app.components.map((c) => c.name) });
