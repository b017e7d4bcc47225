import { Telegram, TelegramError } from 'telegraf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandToText } from '../../src/channels/telegram/commands.js';
import {
  OutboundConversionError,
  routeUpdate,
  safeFileName,
  splitText,
  type TelegramUpdate,
  telegramUpdateSchema,
  toTelegramCalls,
} from '../../src/channels/telegram/convert.js';
import { toChannelSendError } from '../../src/channels/telegram/errors.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';

const update = (u: Record<string, unknown>): TelegramUpdate =>
  telegramUpdateSchema.parse({ update_id: 1, ...u });
const privateText = (text: string, extra: Record<string, unknown> = {}) =>
  update({
    message: {
      message_id: 10,
      date: 1_700_000_000,
      chat: { id: 42, type: 'private' },
      from: { id: 42 },
      text,
      ...extra,
    },
  });

describe('Telegram conversion (pure)', () => {
  it('routes private, group, staff and bot updates', () => {
    expect(routeUpdate(privateText('hi'), {}).kind).toBe('inbound');
    const group = update({
      message: { message_id: 1, date: 1, chat: { id: -5, type: 'group' }, from: { id: 42 }, text: 'hi' },
    });
    expect(routeUpdate(group, {})).toEqual({ kind: 'group', chatId: '-5' });
    expect(routeUpdate(group, { staffChatId: '-5' })).toMatchObject({ kind: 'staff' });
    const bot = update({
      message: {
        message_id: 1,
        date: 1,
        chat: { id: 42, type: 'private' },
        from: { id: 9, is_bot: true },
        text: 'x',
      },
    });
    expect(routeUpdate(bot, {}).kind).toBe('ignore');
    const noData = update({
      callback_query: {
        id: 'q1',
        from: { id: 42 },
        message: { message_id: 3, chat: { id: 42, type: 'private' } },
      },
    });
    expect(routeUpdate(noData, {})).toEqual({ kind: 'ignore', callbackQueryId: 'q1' });
  });

  it('keeps the date Telegram gives and a caption as text', () => {
    const r = routeUpdate(privateText('x'), {});
    expect(r.kind === 'inbound' && r.message.receivedAt.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    const photo = update({
      message: {
        message_id: 11,
        date: 1,
        chat: { id: 42, type: 'private' },
        from: { id: 42 },
        caption: 'foto KTP',
      },
    });
    const p = routeUpdate(photo, {});
    expect(p.kind === 'inbound' && p.message.text).toBe('foto KTP');
    const sticker = update({
      message: { message_id: 12, date: 1, chat: { id: 42, type: 'private' }, from: { id: 42 } },
    });
    const s = routeUpdate(sticker, {});
    expect(s.kind === 'inbound' && s.message.text).toBe('');
  });

  it('rejects updates without the fields hakdata needs', () => {
    expect(telegramUpdateSchema.safeParse({ message: {} }).success).toBe(false);
    expect(
      telegramUpdateSchema.safeParse({
        update_id: 1,
        callback_query: { id: 'x', from: { id: 1 }, data: 'x'.repeat(65) },
      }).success,
    ).toBe(false);
  });

  it('maps commands to keywords', () => {
    expect(commandToText('/akses')).toBe('akses');
    expect(commandToText('/HAPUS@SanitaJayaBot')).toBe('hapus');
    expect(commandToText('/start ref-abc')).toBe('menu');
    expect(commandToText('/status  HK-1 ')).toBe('status HK-1');
    expect(commandToText('akses')).toBe('akses');
    expect(commandToText('/ bukan perintah')).toBe('/ bukan perintah');
  });

  it('splits long text at paragraph, line or word ends, never inside a surrogate pair', () => {
    expect(splitText('abc', 10)).toEqual(['abc']);
    expect(splitText('aaaa bbbb cccc', 10)).toEqual(['aaaa bbbb', 'cccc']);
    expect(splitText('aaaaaa\nbbbbbb', 10)).toEqual(['aaaaaa', 'bbbbbb']);
    const emoji = `${'a'.repeat(9)}😀${'b'.repeat(5)}`;
    const parts = splitText(emoji, 10);
    expect(parts.join('')).toBe(emoji);
    expect(parts[0]).toBe('a'.repeat(9));
    const huge = 'x'.repeat(10_000);
    expect(splitText(huge, 4096).map((p) => p.length)).toEqual([4096, 4096, 1808]);
  });

  it('turns each outbound kind into the right calls', () => {
    expect(toTelegramCalls({ kind: 'text', text: 'hi' })).toEqual([
      { method: 'sendMessage', text: 'hi', replyMarkup: { remove_keyboard: true } },
    ]);
    const calls = toTelegramCalls({
      kind: 'buttons',
      text: `${'a'.repeat(4000)}\n\n${'b'.repeat(200)}`,
      buttons: [{ label: 'Ya', value: 'y' }],
    });
    expect(calls).toHaveLength(2);
    expect(calls[0]).not.toHaveProperty('replyMarkup');
    expect(calls[1]).toMatchObject({
      replyMarkup: { inline_keyboard: [[{ text: 'Ya', callback_data: 'y' }]] },
    });
    const doc = toTelegramCalls({
      kind: 'document',
      fileName: 'a"b\r\n.pdf',
      mimeType: 'application/pdf',
      contentBase64: Buffer.from('x').toString('base64'),
      caption: 'c'.repeat(1500),
    });
    expect(doc.map((c) => c.method)).toEqual(['sendDocument', 'sendMessage']);
    expect(doc[0]).toMatchObject({ fileName: 'a_b__.pdf' });
    expect(doc[0]).not.toHaveProperty('caption');
    expect(() =>
      toTelegramCalls({ kind: 'buttons', text: 'x', buttons: [{ label: 'a', value: 'v'.repeat(65) }] }),
    ).toThrow(OutboundConversionError);
    expect(() =>
      toTelegramCalls({ kind: 'document', fileName: 'a', mimeType: 'x', contentBase64: '' }),
    ).toThrow(OutboundConversionError);
    expect(safeFileName('  ')).toBe('document');
  });

  it('passes staff chat updates on as group messages: text as typed, the sender named, a press with its card', () => {
    const from = { id: 777, first_name: 'Andi', username: 'andi_sj' };
    const staffText = update({
      message: {
        message_id: 7,
        date: 1,
        chat: { id: -5, type: 'supergroup' },
        from,
        text: '/batal',
        reply_to_message: { message_id: 6 },
      },
    });
    expect(routeUpdate(staffText, { staffChatId: '-5' })).toEqual({
      kind: 'staff',
      message: expect.objectContaining({
        chatId: '-5',
        senderId: '777',
        isGroup: true,
        isStaffChat: true,
        text: '/batal',
        replyToMessageId: '6',
        messageKey: '-5:7',
        senderName: { first: 'Andi', username: 'andi_sj' },
      }),
    });
    const press = update({
      callback_query: {
        id: 'q9',
        from,
        data: 'st:a:PR-7K3M9Q',
        message: { message_id: 3, chat: { id: -5, type: 'supergroup' } },
      },
    });
    const routed = routeUpdate(press, { staffChatId: '-5' });
    expect(routed).toMatchObject({ kind: 'staff', callbackQueryId: 'q9' });
    expect(routed.kind === 'staff' && routed.message.action).toEqual({
      value: 'st:a:PR-7K3M9Q',
      sourceMessageId: '3',
    });
    // A customer's message carries no name: only the staff chat's do.
    const r = routeUpdate(privateText('hi', { from: { id: 42, first_name: 'Siti' } }), {});
    expect(r.kind === 'inbound' && r.message.senderName).toBeUndefined();
    expect(r.kind === 'inbound' && r.message.isStaffChat).toBeUndefined();
  });

  it('places messages in a group: an edit of a card, a quote, a question to one member', () => {
    const buttons = [{ label: 'Detail', value: 'st:d:PR-7K3M9Q' }];
    expect(toTelegramCalls({ kind: 'buttons', text: 'Disetujui', buttons, replaces: '12' })).toEqual([
      {
        method: 'editMessageText',
        messageId: 12,
        text: 'Disetujui',
        replyMarkup: { inline_keyboard: [[{ text: 'Detail', callback_data: 'st:d:PR-7K3M9Q' }]] },
      },
    ]);
    expect(toTelegramCalls({ kind: 'text', text: 'Detail PR-7K3M9Q', replyTo: '12' })).toEqual([
      {
        method: 'sendMessage',
        text: 'Detail PR-7K3M9Q',
        replyParameters: { message_id: 12, allow_sending_without_reply: true },
      },
    ]);
    expect(
      toTelegramCalls({
        kind: 'text',
        text: 'Andi, tulis alasan penolakan',
        replyTo: '12',
        askReplyFrom: { userId: '777', name: 'Andi', placeholder: 'Alasan penolakan' },
      }),
    ).toEqual([
      {
        method: 'sendMessage',
        text: 'Andi, tulis alasan penolakan',
        replyMarkup: { force_reply: true, selective: true, input_field_placeholder: 'Alasan penolakan' },
        replyParameters: { message_id: 12, allow_sending_without_reply: true },
        entities: [
          {
            type: 'text_mention',
            offset: 0,
            length: 4,
            user: { id: 777, is_bot: false, first_name: 'Andi' },
          },
        ],
      },
    ]);
    expect(() => toTelegramCalls({ kind: 'text', text: 'x', replaces: 'abc' })).toThrow(
      OutboundConversionError,
    );
    expect(() => toTelegramCalls({ kind: 'text', text: 'x'.repeat(5000), replaces: '12' })).toThrow(
      OutboundConversionError,
    );
  });

  it('maps Telegram errors to channel error codes', () => {
    const tg = (error_code: number, extra: Record<string, unknown> = {}) =>
      new TelegramError({ error_code, description: `e${error_code}`, ...extra });
    expect(toChannelSendError(tg(429, { parameters: { retry_after: 3 } }))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 3000,
    });
    expect(toChannelSendError(tg(502)).code).toBe('UNAVAILABLE');
    expect(toChannelSendError(tg(403)).code).toBe('CHAT_BLOCKED');
    expect(toChannelSendError(tg(400)).code).toBe('BAD_REQUEST');
    expect(toChannelSendError(tg(413)).code).toBe('BAD_REQUEST');
    const net = toChannelSendError(
      new Error('request to http://x/bot123:ABCdef_ghi/sendMessage failed, reason: ECONNRESET'),
    );
    expect(net.code).toBe('UNAVAILABLE');
    expect(net.message).not.toContain('ABCdef_ghi');
  });
});

describe('the fake Bot API behaves like Telegram where it matters', () => {
  let fake: FakeTelegramBotApi;
  let telegram: Telegram;

  beforeAll(async () => {
    fake = await FakeTelegramBotApi.start({ maxPollSeconds: 1 });
    telegram = new Telegram(fake.token, { apiRoot: fake.apiRoot });
  });
  afterAll(() => fake.close());

  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return 200;
    } catch (err) {
      return err instanceof TelegramError ? err.code : -1;
    }
  };

  it('forgets confirmed updates and long-polls for new ones', async () => {
    fake.userSends(1, 'a');
    const first = await telegram.getUpdates(0, 100, 0, undefined);
    expect(first).toHaveLength(1);
    const id = first[0]?.update_id ?? 0;
    setTimeout(() => fake.userSends(1, 'b'), 200);
    const started = Date.now();
    const next = await telegram.getUpdates(1, 100, id + 1, undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(next.map((u) => 'message' in u && u.message && 'text' in u.message && u.message.text)).toEqual([
      'b',
    ]);
    expect(fake.pendingUpdates).toBe(1);
    await telegram.getUpdates(0, 100, (next[0]?.update_id ?? 0) + 1, undefined);
    expect(fake.pendingUpdates).toBe(0);
  });

  it('ends a waiting getUpdates with 409 when a second one arrives', async () => {
    const older = code(telegram.getUpdates(1, 100, 0, undefined));
    await new Promise((r) => setTimeout(r, 100));
    const newer = code(telegram.getUpdates(1, 100, 0, undefined));
    expect(await older).toBe(409);
    expect(await newer).toBe(200);
  });

  it('refuses getUpdates while a webhook is set', async () => {
    await telegram.setWebhook('http://127.0.0.1:9/hook');
    expect(await code(telegram.getUpdates(0, 100, 0, undefined))).toBe(409);
    await telegram.deleteWebhook();
    expect(await code(telegram.getUpdates(0, 100, 0, undefined))).toBe(200);
  });

  it('checks sends as Telegram does', async () => {
    expect(await code(telegram.sendMessage(1, ''))).toBe(400);
    expect(await code(telegram.sendMessage(1, 'x'.repeat(4097)))).toBe(400);
    const tooLong = { reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: 'd'.repeat(65) }]] } };
    expect(await code(telegram.sendMessage(1, 'x', tooLong))).toBe(400);
    fake.userBlocksBot(2);
    expect(await code(telegram.sendMessage(2, 'x'))).toBe(403);
    expect(await code(new Telegram('1:wrong-token-abcdefghijkl', { apiRoot: fake.apiRoot }).getMe())).toBe(
      401,
    );
  });

  it('fails on demand: 429, 503, offline for a while', async () => {
    fake.rateLimit(2, { method: 'getMe' });
    const limited = await telegram.getMe().catch((e: TelegramError) => e);
    expect(limited).toBeInstanceOf(TelegramError);
    expect((limited as TelegramError).parameters?.retry_after).toBe(2);
    // The bot's flood wait would last 2 s: ended here, so the 503 below is what answers.
    await fake.recover();
    fake.failFor(300);
    expect(await code(telegram.getMe())).toBe(503);
    await new Promise((r) => setTimeout(r, 350));
    expect(await code(telegram.getMe())).toBe(200);
    await fake.goOffline(300);
    expect(await code(telegram.getMe())).toBe(-1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await code(telegram.getMe())).toBe(200);
  });
});
