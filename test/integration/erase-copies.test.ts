import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendReply } from '../../src/channels/webchat/store.js';
import { linkChat, notePhoneInChat, sessionKey } from '../../src/identity/links.js';
import { createOtpService } from '../../src/identity/otp.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { markChatSent } from '../../src/sessions/session-store.js';
import { eraseRedisCopies } from '../../src/workers/erase-copies.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { deleteKeys } from '../helpers/redis-keys.js';

/**
 * The Redis side of an erase, key by key: what belongs to the customer goes, what belongs to
 * someone else stays, and the audit counts say so.
 */

const CUSTOMER = '65f0c0ffee0000000000c0de';
const PHONE = '+6281277700011';

let ctx: TestContext;
let outbox: OutboxHandle;

beforeAll(async () => {
  ctx = await createTestContext();
  outbox = createOutbox(ctx);
});
afterAll(async () => {
  await outbox.close();
  await ctx.cleanup();
});

const session = (vars: Record<string, string>) =>
  JSON.stringify({ flow: 'verify', step: 'ask_code', vars, stack: [], prompt: 'p1' });
const exists = async (key: string) => (await ctx.redis.exists(key)) === 1;
const keysLike = async (pattern: string) => {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', ctx.key(pattern), 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
};

describe('eraseRedisCopies', () => {
  it("removes the customer's copies and the phone's, and leaves other people's alone", async () => {
    await deleteKeys(ctx.redis, ctx.key('*'));
    // The customer's verified Telegram chat and web chat.
    await linkChat(ctx, 'telegram', '7001', CUSTOMER);
    await linkChat(ctx, 'webchat', 'web-own-chat-1', CUSTOMER);
    await ctx.redis.set(sessionKey(ctx, 'telegram', '7001'), session({ customerId: CUSTOMER }));
    await ctx.redis.set(ctx.key('chat-meta', 'telegram', '7001'), '{"locale":"id","inFlow":false}');
    // When the bot last sent it something other than a promotion (the outbound worker writes it).
    await markChatSent(ctx, 'telegram', '7001');
    await appendReply(ctx, 'web-own-chat-1', { kind: 'text', text: 'Data baru: x@contoh.co.id' });
    // The WhatsApp chat of the number, never verified: its meta names the number.
    await ctx.redis.set(
      ctx.key('chat-meta', 'whatsapp', '6281277700011@c.us'),
      '{"locale":"id","inFlow":true}',
    );
    // A stranger half-way through verifying this number, and one who moved on to another number.
    for (const chat of ['17001', '27001']) await notePhoneInChat(ctx, PHONE, 'telegram', chat);
    await ctx.redis.set(sessionKey(ctx, 'telegram', '17001'), session({ phone: PHONE, maskedPhone: 'x' }));
    await ctx.redis.set(sessionKey(ctx, 'telegram', '27001'), session({ phone: '+6281399900022' }));
    // OTP state of the number in the stranger's chat.
    const otp = createOtpService(
      ctx,
      { name: 'test', deliver: async () => {} },
      { isCustomerPhone: async () => true },
    );
    expect(
      (await otp.requestCode({ phone: PHONE, channel: 'telegram', chatId: '17001', locale: 'id' })).status,
    ).toBe('sent');
    const otpKeys = await keysLike('otp:*');
    expect(otpKeys.length).toBeGreaterThanOrEqual(3);
    // Dedupe markers: the customer's chat 7001, and 17001 (not the customer's) which contains "7001".
    await ctx.redis.set(ctx.key('seen', 'telegram', '7001:55'), '1');
    await ctx.redis.set(ctx.key('seen', 'telegram', '17001:55'), '1');
    await ctx.redis.set(ctx.key('seen', 'whatsapp', 'false_6281277700011@c.us_3EB0AA'), '1');
    // The status cache.
    await ctx.redis.set(ctx.key('status', CUSTOMER, 'version'), 'v1');
    await ctx.redis.set(ctx.key('status', CUSTOMER, 'list', '5'), '{"version":"v1","list":[]}');
    // A queued message to the customer.
    await outbox.send('telegram', '7001', [{ kind: 'text', text: 'Halo' }]);

    const counts = await eraseRedisCopies(ctx, { customerId: CUSTOMER, phone: PHONE, requestChats: [] });

    expect(counts).toMatchObject({
      // The two linked chats, and the chat of the phone on each channel addressed by number
      // (WhatsApp Web's `…@c.us` and the WhatsApp Cloud API's digits).
      chats: 4,
      phoneSessions: 1,
      links: 2,
      sessions: 1,
      chatMeta: 2,
      chatLastSent: 1,
      chatsForgottenByChannel: 1,
      outboundKeysDestroyed: 1,
      outboundJobsRemoved: 1,
      dedupeMarkers: 2,
      statusCache: 2,
    });
    // The code and the phone's windows go; the chat's own send window (timestamps of that chat,
    // a brute-force guard, nothing of the phone) stays.
    expect(counts.otpKeys).toBe(otpKeys.length - 1);
    expect(await keysLike('otp:*')).toEqual([expect.stringContaining(':otp:limit:chat:')]);
    expect(await keysLike('link:*')).toEqual([]);
    expect(await keysLike('customer-chats:*')).toEqual([]);
    expect(await keysLike('phone-chats:*')).toEqual([]);
    expect(await keysLike('status:*')).toEqual([]);
    expect(await keysLike('chat-meta:*')).toEqual([]);
    expect(await keysLike('chat-sent:*')).toEqual([]);
    // A message sent after the erase (its own acknowledgement) records nothing for a chat with no meta.
    expect(await markChatSent(ctx, 'telegram', '7001')).toBe(false);
    expect(await keysLike('chat-sent:*')).toEqual([]);
    expect(await keysLike('webchat:replies:web-own-chat-1')).toEqual([]);
    expect(await exists(sessionKey(ctx, 'telegram', '17001'))).toBe(false);
    // Someone else's: untouched.
    expect(await exists(sessionKey(ctx, 'telegram', '27001'))).toBe(true);
    expect(await exists(ctx.key('seen', 'telegram', '17001:55'))).toBe(true);

    // Idempotent: a re-run after a crash finds nothing more.
    const again = await eraseRedisCopies(ctx, { customerId: CUSTOMER, phone: PHONE, requestChats: [] });
    expect(Object.entries(again).filter(([k, v]) => k !== 'chats' && v !== 0)).toEqual([]);
  });
});
