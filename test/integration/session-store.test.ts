import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/sessions/session-store.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let ctx: TestContext;
let store: SessionStore;

beforeAll(async () => {
  ctx = await createTestContext();
  store = new SessionStore(ctx);
});
afterAll(async () => {
  await ctx.cleanup();
});

const session = { flow: 'menu', step: 'choose', vars: {}, stack: [], prompt: 'p1' };
const meta = { locale: 'en' as const, inFlow: true };

describe('session store', () => {
  // What an adapter builds: Telegram's message_id is unique only in its chat, so the key holds both.
  const msg = (chatId: string, messageId: string) => ({
    channel: 'telegram',
    chatId,
    messageKey: `${chatId}:${messageId}`,
  });

  it('starts a turn once per message key, with the saved session and meta', async () => {
    expect(await store.begin(msg('c1', 'm1'))).toEqual({ first: true });
    await store.save('telegram', 'c1', session, meta);
    expect(await store.begin(msg('c1', 'm2'))).toEqual({ first: true, session, meta });
    // A redelivered message: not handled again.
    expect(await store.begin(msg('c1', 'm2'))).toEqual({ first: false });
    // Another chat's message with the same message_id is its own.
    expect(await store.begin(msg('c2', 'm2'))).toEqual({ first: true });
  });

  it('saves after Redis forgot its scripts (a restart), and a removed session stays removed', async () => {
    await ctx.redis.script('FLUSH');
    await store.save('telegram', 'c3', session, meta);
    expect(await store.load('telegram', 'c3')).toEqual({ session, meta });
    await store.save('telegram', 'c3', undefined, { ...meta, inFlow: false });
    expect(await store.load('telegram', 'c3')).toEqual({ meta: { ...meta, inFlow: false } });
  });
});
