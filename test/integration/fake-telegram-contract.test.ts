import { Telegram, TelegramError } from 'telegraf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_DOCUMENT_BYTES,
  OutboundConversionError,
  routeUpdate,
  telegramUpdateSchema,
  toTelegramCalls,
} from '../../src/channels/telegram/convert.js';
import { FakeTelegramBotApi, MAX_UPLOAD_BYTES } from '../fakes/telegram-bot-api.js';

/**
 * The fake Bot API's contract: each behaviour the project relies on, as the Bot API documentation
 * (core.telegram.org/bots/api) states it, called through telegraf exactly as the adapter calls it.
 * A fake that numbered messages globally hid the bug of issue 13 for months: these keep it honest.
 */

let fake: FakeTelegramBotApi;
let telegram: Telegram;

beforeAll(async () => {
  fake = await FakeTelegramBotApi.start({ maxPollSeconds: 1, firstUpdateId: 730_000_001 });
  telegram = new Telegram(fake.token, { apiRoot: fake.apiRoot });
});
afterAll(() => fake.close());

/** The Bot API's answer to a call: 200, or the error's code and description. */
async function answer(
  p: Promise<unknown>,
): Promise<{ code: number; description?: string; retryAfter?: number }> {
  try {
    await p;
    return { code: 200 };
  } catch (err) {
    if (!(err instanceof TelegramError)) throw err;
    return {
      code: err.code,
      description: err.description,
      ...(err.parameters?.retry_after !== undefined ? { retryAfter: err.parameters.retry_after } : {}),
    };
  }
}

type AnyUpdate = { update_id: number; message?: { message_id: number; chat: { id: number } } };
/** Every pending update, confirming them (getUpdates with an offset past the last). */
async function drain(): Promise<AnyUpdate[]> {
  const updates = (await telegram.getUpdates(0, 100, 0, undefined)) as unknown as AnyUpdate[];
  const last = updates.at(-1);
  if (last) await telegram.getUpdates(0, 100, last.update_id + 1, undefined);
  return updates;
}

describe('fake Bot API: ids and their scopes', () => {
  it('numbers message_id per chat: every new chat starts at 1, customer and bot share the sequence', async () => {
    // "message_id: Unique message identifier inside this chat."
    const a1 = fake.userSends(610_001, 'halo');
    const b1 = fake.userSends(610_002, 'halo');
    const c1 = fake.userSends(610_003, '/start');
    expect([a1, b1, c1]).toEqual([1, 1, 1]);
    const replyA = await telegram.sendMessage(610_001, 'Menu');
    const a2 = fake.userSends(610_001, 'akses');
    const replyB = await telegram.sendMessage(610_002, 'Menu');
    expect([replyA.message_id, a2, replyB.message_id]).toEqual([2, 3, 2]);
    expect(fake.nextMessageIdFor(610_003)).toBe(2);
    const updates = await drain();
    expect(updates.map((u) => `${u.message?.chat.id}:${u.message?.message_id}`)).toEqual([
      '610001:1',
      '610002:1',
      '610003:1',
      '610001:3',
    ]);
  });

  it('gives updates increasing update_ids from the configured start, and forgets confirmed ones', async () => {
    // "Update identifiers start from a certain positive number and increase sequentially."
    fake.userSends(610_010, 'satu');
    fake.userSends(610_011, 'dua');
    const [first, second] = (await telegram.getUpdates(0, 100, 0, undefined)) as unknown as AnyUpdate[];
    expect(first?.update_id).toBeGreaterThan(730_000_000);
    expect(second?.update_id).toBe((first?.update_id ?? 0) + 1);
    // Unconfirmed: asked again, the same updates come back.
    const again = (await telegram.getUpdates(0, 100, 0, undefined)) as unknown as AnyUpdate[];
    expect(again.map((u) => u.update_id)).toEqual([first?.update_id, second?.update_id]);
    // "An update is considered confirmed as soon as getUpdates is called with an offset higher
    // than its update_id."
    const rest = await telegram.getUpdates(0, 100, (first?.update_id ?? 0) + 1, undefined);
    expect(rest.map((u) => u.update_id)).toEqual([second?.update_id]);
    expect(fake.pendingUpdates).toBe(1);
    await drain();
    expect(fake.pendingUpdates).toBe(0);
  });

  it('gives callback queries ids unique across chats, which the adapter keys as they are', async () => {
    fake.userStartsBot(610_020);
    fake.userStartsBot(610_021);
    await telegram.sendMessage(610_020, 'Pilih', {
      reply_markup: { inline_keyboard: [[{ text: 'Ya', callback_data: 'yes' }]] },
    });
    await telegram.sendMessage(610_021, 'Pilih', {
      reply_markup: { inline_keyboard: [[{ text: 'Ya', callback_data: 'yes' }]] },
    });
    const one = fake.pressButton(610_020, { label: 'Ya' });
    const two = fake.pressButton(610_021, { label: 'Ya' });
    expect(one).not.toBe(two);
    const updates = await drain();
    const keys = updates.map((u) => {
      const route = routeUpdate(telegramUpdateSchema.parse(u), {});
      return route.kind === 'inbound' ? route.message.messageKey : undefined;
    });
    expect(keys).toEqual([`610020:cb:${one}`, `610021:cb:${two}`]);
  }, 10_000);

  it('turns equal message_ids of different chats into different message keys', async () => {
    fake.userSends(610_030, 'halo');
    fake.userSends(610_031, 'halo');
    const keys = (await drain()).map((u) => {
      const route = routeUpdate(telegramUpdateSchema.parse(u), {});
      return route.kind === 'inbound' ? [route.message.messageId, route.message.messageKey] : [];
    });
    expect(keys).toEqual([
      ['1', '610030:1'],
      ['1', '610031:1'],
    ]);
  });
});

describe('fake Bot API: getUpdates', () => {
  it('ends a waiting getUpdates with 409 Conflict when a second one arrives', async () => {
    const older = answer(telegram.getUpdates(1, 100, 0, undefined));
    await new Promise((r) => setTimeout(r, 100));
    const newer = answer(telegram.getUpdates(1, 100, 0, undefined));
    expect(await older).toMatchObject({
      code: 409,
      description: expect.stringContaining('terminated by other'),
    });
    expect(await newer).toEqual({ code: 200 });
  });

  it('refuses getUpdates with 409 while a webhook is set', async () => {
    await telegram.setWebhook('http://127.0.0.1:9/hook');
    expect(await answer(telegram.getUpdates(0, 100, 0, undefined))).toMatchObject({ code: 409 });
    await telegram.deleteWebhook();
    expect(await answer(telegram.getUpdates(0, 100, 0, undefined))).toEqual({ code: 200 });
  });
});

describe('fake Bot API: errors Telegram answers', () => {
  const CHAT = 620_001;
  beforeAll(() => fake.userStartsBot(CHAT));

  it('429 with parameters.retry_after, then 429 to every chat of the bot until it has passed', async () => {
    // "retry_after: the number of seconds left to wait before the request can be repeated"; the
    // limit is the bot's (Bot FAQ: ~30 messages a second to different chats), so another chat
    // waits too.
    const other = 620_003;
    fake.userStartsBot(other);
    fake.rateLimit(1, { method: 'sendMessage' });
    const limitedAt = Date.now();
    expect(await answer(telegram.sendMessage(CHAT, 'x'))).toEqual({
      code: 429,
      description: 'Too Many Requests: retry after 1',
      retryAfter: 1,
    });
    for (const chat of [CHAT, other])
      expect(await answer(telegram.sendMessage(chat, 'x'))).toEqual({
        code: 429,
        description: 'Too Many Requests: retry after 1',
        retryAfter: 1,
      });
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() - limitedAt) + 50));
    expect(await answer(telegram.sendMessage(other, 'x'))).toEqual({ code: 200 });
    expect(await answer(telegram.sendMessage(CHAT, 'x'))).toEqual({ code: 200 });
  });

  it('429 says the seconds left of the wait, and recover() ends it', async () => {
    fake.rateLimit(3, { method: 'sendMessage' });
    expect(await answer(telegram.sendMessage(CHAT, 'x'))).toEqual({
      code: 429,
      description: 'Too Many Requests: retry after 3',
      retryAfter: 3,
    });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await answer(telegram.sendMessage(CHAT, 'x'))).toEqual({
      code: 429,
      description: 'Too Many Requests: retry after 2',
      retryAfter: 2,
    });
    await fake.recover();
    expect(await answer(telegram.sendMessage(CHAT, 'x'))).toEqual({ code: 200 });
  });

  it('403 "Forbidden: bot was blocked by the user" on every send until unblocked', async () => {
    fake.userBlocksBot(620_002);
    for (const send of [telegram.sendMessage(620_002, 'x'), telegram.sendMessage(620_002, 'y')])
      expect(await answer(send)).toEqual({
        code: 403,
        description: 'Forbidden: bot was blocked by the user',
      });
    fake.userUnblocksBot(620_002);
    expect(await answer(telegram.sendMessage(620_002, 'z'))).toEqual({ code: 200 });
  });

  it('400 for text over 4096 characters and for empty text; 4096 itself is fine', async () => {
    expect(await answer(telegram.sendMessage(CHAT, 'x'.repeat(4096)))).toEqual({ code: 200 });
    expect(await answer(telegram.sendMessage(CHAT, 'x'.repeat(4097)))).toEqual({
      code: 400,
      description: 'Bad Request: message is too long',
    });
    expect(await answer(telegram.sendMessage(CHAT, ''))).toEqual({
      code: 400,
      description: 'Bad Request: message text is empty',
    });
  });

  it('400 for callback data over 64 bytes; 64 bytes is fine', async () => {
    const withData = (data: string) => ({
      reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: data }]] },
    });
    expect(await answer(telegram.sendMessage(CHAT, 'x', withData('d'.repeat(64))))).toEqual({ code: 200 });
    // Bytes, not characters: 22 three-byte characters are 66 bytes.
    expect(await answer(telegram.sendMessage(CHAT, 'x', withData('€'.repeat(22))))).toEqual({
      code: 400,
      description: 'Bad Request: BUTTON_DATA_INVALID',
    });
  });

  it('400 "chat not found" for a chat the bot never talked in, until the user writes', async () => {
    expect(await answer(telegram.sendMessage(620_099, 'halo'))).toEqual({
      code: 400,
      description: 'Bad Request: chat not found',
    });
    expect(await answer(telegram.sendMessage(-100_620_099, 'halo'))).toMatchObject({ code: 400 });
    fake.userSends(620_099, 'halo');
    fake.botJoinsGroup(-100_620_099);
    expect(await answer(telegram.sendMessage(620_099, 'halo'))).toEqual({ code: 200 });
    expect(await answer(telegram.sendMessage(-100_620_099, 'halo'))).toEqual({ code: 200 });
  });

  it('400 "message to edit not found" and "message is not modified"', async () => {
    const sent = await telegram.sendMessage(CHAT, 'Kartu', {
      reply_markup: { inline_keyboard: [[{ text: 'Setujui', callback_data: 'a' }]] },
    });
    const edit = (messageId: number, text: string, markup?: object) =>
      answer(
        telegram.editMessageText(
          CHAT,
          messageId,
          undefined,
          text,
          markup ? { reply_markup: markup as never } : {},
        ),
      );
    expect(await edit(sent.message_id + 500, 'Kartu')).toEqual({
      code: 400,
      description: 'Bad Request: message to edit not found',
    });
    // The customer's own message is not the bot's to edit either.
    const own = fake.userSends(CHAT, 'pesan saya');
    expect(await edit(own, 'diubah')).toMatchObject({ code: 400 });
    const same = { inline_keyboard: [[{ text: 'Setujui', callback_data: 'a' }]] };
    expect(await edit(sent.message_id, 'Kartu', same)).toEqual({
      code: 400,
      description: expect.stringMatching(/^Bad Request: message is not modified/),
    });
    expect(await edit(sent.message_id, 'Kartu: disetujui')).toEqual({ code: 200 });
    expect(await edit(sent.message_id, 'Kartu: disetujui')).toMatchObject({ code: 400 });
    expect(await answer(telegram.editMessageText(620_098, 1, undefined, 'x'))).toMatchObject({ code: 400 });
    await drain();
  });

  it('413 from the front end for an upload over 50 MB; the adapter never sends one', async () => {
    const boundary = 'hakdata-contract';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n${CHAT}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="big.pdf"\r\n` +
        'Content-Type: application/pdf\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = Buffer.concat([head, Buffer.alloc(MAX_UPLOAD_BYTES + 1, 1), tail]);
    const response = await fetch(`${fake.apiRoot}/bot${fake.token}/sendDocument`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('413 Request Entity Too Large');
    // The adapter refuses such a document itself (a 413 page is not JSON and would read as an
    // outage), with room under the limit for the multipart envelope.
    expect(MAX_DOCUMENT_BYTES + 64 * 1024).toBeLessThan(MAX_UPLOAD_BYTES);
    const document = (bytes: number) => ({
      kind: 'document' as const,
      fileName: 'data-saya.pdf',
      mimeType: 'application/pdf',
      contentBase64: Buffer.alloc(bytes, 1).toString('base64'),
    });
    expect(toTelegramCalls(document(MAX_DOCUMENT_BYTES))).toHaveLength(1);
    expect(() => toTelegramCalls(document(MAX_DOCUMENT_BYTES + 1))).toThrow(OutboundConversionError);
    // 50 MB sent, and about 130 MB of base64 built: seconds on a quiet machine, half a minute and
    // more on a loaded one.
  }, 120_000);
});
