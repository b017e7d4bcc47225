import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivacyRequest } from '../../src/db/index.js';
import { recordDeadLetter } from '../../src/outbound/dead-letter.js';
import { createOutbox, type OutboxHandle } from '../../src/outbound/outbox.js';
import { maskName } from '../../src/privacy/index.js';
import { createRequestService, type RequestServiceImpl } from '../../src/requests/service.js';
import { seedDemo } from '../../src/seed/seed.js';
import { createStaffAllowlist } from '../../src/staff/allowlist.js';
import { maskedIdentity } from '../../src/staff/masking.js';
import { outboxStaffNotifier } from '../../src/staff/outbox-notifier.js';
import { formatWib, parseStaffCallbackData, staffCallbackData } from '../../src/staff/staff-cards.js';
import { FakeTelegramBotApi, type SentMessage } from '../fakes/telegram-bot-api.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The Telegram staff chat, end to end: the whole app in this process (ROLE=all) against the fake
 * Bot API. Flagged requests are created through the real request service, so the cards come from
 * the real staff notifier through the outbound queue, and presses come back through the adapter.
 */

const STAFF_CHAT = -1001;
const STAFF = 777;
const OTHER_STAFF = 778;
const INTRUDER = 888;
const BUDI_CHAT = 5002; // SJ-000002 Budi Santoso +6281311112222: scheduled unpaid order
const SITI_CHAT = 5001; // SJ-000001 Siti Wulandari +6281287611943

const RAW_PERSONAL = [
  'Budi',
  'Santoso',
  'Siti',
  'Wulandari',
  '6281311112222',
  '6281287611943',
  '81311112222',
];

describe('Telegram staff chat', () => {
  let t: TestApp;
  let fake: FakeTelegramBotApi;
  let outbox: OutboxHandle;
  let requests: RequestServiceImpl;

  const customerId = async (customerNo: string) =>
    String((await t.ctx.models.Customer.findOne({ customerNo }).lean().orFail())._id);
  const request = (ref: string) =>
    t.ctx.models.PrivacyRequest.findOne({ ref }).lean<PrivacyRequest>().orFail();
  const cardFor = (ref: string, after = 0) =>
    fake.waitForMessage(
      STAFF_CHAT,
      (m) => m.buttons.some((b) => b.data === staffCallbackData('approve', ref)),
      {
        after,
      },
    );
  const answerTo = (callbackId: string) =>
    fake.waitForCall('answerCallbackQuery', (c) => c.params.callback_query_id === callbackId);
  const editsOf = (messageId: number) =>
    fake.callsOf('editMessageText').filter((c) => Number(c.params.message_id) === messageId);
  const press = (userId: number, action: 'approve' | 'reject' | 'detail', ref: string, card: SentMessage) =>
    fake.pressButton(
      userId,
      { data: staffCallbackData(action, ref), messageId: card.messageId, chatId: STAFF_CHAT },
      { firstName: userId === STAFF ? 'Andi' : 'Tamu', username: userId === STAFF ? 'andi_sj' : undefined },
    );
  const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > deadline) throw new Error(`condition not met; last value ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const expectNoRawPersonalData = (text: string | undefined) => {
    for (const raw of RAW_PERSONAL) expect(text ?? '').not.toContain(raw);
  };

  beforeAll(async () => {
    // The bot is a member of the staff group, and both customers had written to it before.
    fake = await FakeTelegramBotApi.start({
      maxPollSeconds: 1,
      knownChats: [STAFF_CHAT, SITI_CHAT, BUDI_CHAT],
    });
    t = await startTestApp({
      ...fake.env,
      TELEGRAM_STAFF_CHAT_ID: String(STAFF_CHAT),
      TELEGRAM_STAFF_USER_IDS: `${STAFF},${OTHER_STAFF}`,
    });
    await seedDemo(t.ctx.models);
    outbox = createOutbox(t.ctx);
    requests = createRequestService(t.ctx, { outbox, staff: outboxStaffNotifier(t.ctx, outbox) });
  });

  afterAll(async () => {
    await requests?.close();
    await outbox?.close();
    await t?.stop();
    await fake?.close();
  });

  it('masks names and phones, and keeps callback data small and exact', () => {
    expect(maskName('Siti Wulandari')).toBe('S*** W***');
    expect(maskName('  budi ')).toBe('B***');
    expect(maskedIdentity({ name: 'Siti Wulandari', phone: '+6281287611943' })).toBe(
      'Bpk/Ibu S*** W***, +62812****943',
    );
    expect(maskedIdentity({ customerNo: 'SJ-000002', erasedAt: new Date() })).toBe(
      '(data pelanggan SJ-000002 sudah dihapus)',
    );
    expect(staffCallbackData('approve', 'PR-7K3M9Q')).toBe('st:a:PR-7K3M9Q');
    expect(parseStaffCallbackData('st:r:PR-7K3M9Q')).toEqual({ action: 'reject', ref: 'PR-7K3M9Q' });
    expect(parseStaffCallbackData('st:x:PR-7K3M9Q')).toBeUndefined();
    expect(parseStaffCallbackData('st:a:PR-7K3M9Q;drop')).toBeUndefined();
    expect(formatWib(new Date('2025-05-12T07:05:00Z'))).toBe('Sen, 12 Mei 2025 14.05 WIB');
  });

  it('approves a flagged erase: only allowlisted staff decide, the customer is erased and told', async () => {
    const created = await requests.create({
      type: 'erase',
      customerId: await customerId('SJ-000002'),
      channel: 'telegram',
      chatId: String(BUDI_CHAT),
      locale: 'id',
    });
    expect(created.status).toBe('pending_approval');
    const ref = created.ref;

    // The card: ref, type, flags, due time in WIB, masked identity, three buttons.
    const card = await cardFor(ref);
    expect(card.text).toContain(`Perlu persetujuan: ${ref}`);
    expect(card.text).toContain('Hapus data (erase)');
    expect(card.text).toContain('Bpk/Ibu B*** S***, +62813****222');
    expect(card.text).toContain('UNPAID_ORDER');
    expect(card.text).toContain(formatWib(created.dueAt));
    expectNoRawPersonalData(card.text);
    expect(card.buttons).toEqual([
      { text: 'Setujui', data: `st:a:${ref}` },
      { text: 'Tolak', data: `st:r:${ref}` },
      { text: 'Detail', data: `st:d:${ref}` },
    ]);
    await fake.waitForMessage(BUDI_CHAT, (m) => m.text?.includes(`${ref} perlu ditinjau`) ?? false);

    // Someone in the staff chat but not on the allowlist: nothing changes, the attempt is on record.
    const denied = press(INTRUDER, 'approve', ref, card);
    expect((await answerTo(denied)).params.text).toContain('Not allowed');
    const denial = await until(
      () => t.ctx.models.AuditEvent.findOne({ requestRef: ref, action: 'staff.denied' }).lean(),
      (e) => e !== null,
    );
    expect(denial?.actor).toBe(`telegram:${INTRUDER}`);
    expect(denial?.details).toMatchObject({ button: 'approve', status: 'pending_approval' });
    expect((await request(ref)).status).toBe('pending_approval');
    expect((await request(ref)).decision?.outcome).toBeUndefined();
    expect(editsOf(card.messageId)).toHaveLength(0);

    // Detail: masked facts for staff, as a reply to the card; the viewing is audited.
    const before = fake.callCount;
    const detailPress = press(STAFF, 'detail', ref, card);
    await answerTo(detailPress);
    const detail = await fake.waitForMessage(
      STAFF_CHAT,
      (m) => m.text?.startsWith(`🔎 Detail ${ref}`) ?? false,
      {
        after: before,
      },
    );
    expect(detail.text).toContain('Pesanan: 1 terjadwal/berjalan, 1 belum dibayar');
    expect(detail.text).toContain('menunggu persetujuan staf (customer)');
    expectNoRawPersonalData(detail.text);
    expect(detail.call.params.reply_parameters).toMatchObject({ message_id: card.messageId });
    expect(
      await t.ctx.models.AuditEvent.countDocuments({ requestRef: ref, action: 'staff.viewed_detail' }),
    ).toBe(1);

    // Staff approve: the request is queued, worked and completed; the customer is told twice.
    const approved = press(STAFF, 'approve', ref, card);
    expect((await answerTo(approved)).params.text).toBe(`${ref} disetujui.`);
    const edit = await fake.waitForCall(
      'editMessageText',
      (c) => Number(c.params.message_id) === card.messageId,
    );
    expect(edit.params.text).toContain(`✅ Disetujui oleh Andi @andi_sj (telegram:${STAFF}) pada `);
    expect(edit.params.text).toContain('WIB');
    expect((edit.params.reply_markup as { inline_keyboard: unknown[][] }).inline_keyboard).toEqual([
      [{ text: 'Detail', callback_data: `st:d:${ref}` }],
    ]);
    const done = await until(
      () => request(ref),
      (r) => r.status === 'completed',
    );
    expect(done.decision).toMatchObject({ outcome: 'approved', by: `telegram:${STAFF}` });
    const budi = await t.ctx.models.Customer.findOne({ customerNo: 'SJ-000002' }).lean().orFail();
    expect(budi.erasedAt).toBeInstanceOf(Date);
    expect(budi.name).toBeUndefined();
    expect(budi.phone).toBeUndefined();
    await fake.waitForMessage(BUDI_CHAT, (m) => m.text?.includes(`${ref} disetujui staf`) ?? false);
    await fake.waitForMessage(
      BUDI_CHAT,
      (m) => m.text?.includes('Data pribadi Anda sudah kami hapus') ?? false,
    );
    const decidedAudit = await t.ctx.models.AuditEvent.findOne({
      requestRef: ref,
      action: 'request.status',
      'details.to': 'queued',
    }).lean();
    expect(decidedAudit?.actor).toBe(`telegram:${STAFF}`);

    // A second press on the decided card (approve or reject, by any staff) changes nothing.
    const historyLength = done.history.length;
    const sentBefore = fake.messagesTo(STAFF_CHAT).length;
    const again = press(OTHER_STAFF, 'approve', ref, card);
    expect((await answerTo(again)).params.text).toBe(
      `Sudah diputuskan oleh Andi @andi_sj (telegram:${STAFF}) (disetujui).`,
    );
    const rejectLate = press(STAFF, 'reject', ref, card);
    expect((await answerTo(rejectLate)).params.text).toContain('Sudah diputuskan oleh');
    // Staff messages go through the outbox, in order per chat: a marker queued after the late
    // presses arrives after anything they queued.
    await outbox.send('telegram', String(STAFF_CHAT), [{ kind: 'text', text: 'penanda' }]);
    await fake.waitForMessage(STAFF_CHAT, (m) => m.text === 'penanda');
    const after = await request(ref);
    expect(after.history).toHaveLength(historyLength);
    expect(after.decision).toMatchObject({ outcome: 'approved', by: `telegram:${STAFF}` });
    expect(fake.textsTo(STAFF_CHAT).slice(sentBefore)).toEqual(['penanda']); // no "why?" question asked
    // The card, edited again by the late press, says what it said: erased customer, same decision.
    const lastEdit = editsOf(card.messageId).at(-1);
    expect(lastEdit?.params.text).toContain('(data pelanggan SJ-000002 sudah dihapus)');
    expect(lastEdit?.params.text).toContain(`✅ Disetujui oleh Andi @andi_sj (telegram:${STAFF})`);
  });

  it('rejects with a reason given as a reply: the customer receives the reason', async () => {
    const created = await requests.create({
      type: 'update',
      customerId: await customerId('SJ-000001'),
      channel: 'telegram',
      chatId: String(SITI_CHAT),
      locale: 'id',
      changes: { phone: '0812-9999-8877' },
    });
    expect(created.flags.map((f) => f.code)).toEqual(['PHONE_CHANGE']);
    const ref = created.ref;
    const card = await cardFor(ref);
    expect(card.text).toContain('Ubah data (update)');
    expect(card.text).toContain('Bpk/Ibu S*** W***, +62812****943');

    // Detail shows the change asked for, masked.
    const before = fake.callCount;
    await answerTo(press(STAFF, 'detail', ref, card));
    const detail = await fake.waitForMessage(
      STAFF_CHAT,
      (m) => m.text?.startsWith(`🔎 Detail ${ref}`) ?? false,
      {
        after: before,
      },
    );
    expect(detail.text).toContain('nomor telepon: +62812****877');
    expect(detail.text).not.toContain('99998877');
    expectNoRawPersonalData(detail.text);

    // Tolak asks the presser for a reason (force_reply, mentioning them).
    const askedAfter = fake.callCount;
    const rejectPress = press(STAFF, 'reject', ref, card);
    expect((await answerTo(rejectPress)).params.text).toBe(`Tulis alasan penolakan ${ref}.`);
    const question = await fake.waitForMessage(
      STAFF_CHAT,
      (m) => m.text?.includes('tulis alasan penolakan') ?? false,
      {
        after: askedAfter,
      },
    );
    expect(question.call.params.reply_markup).toMatchObject({ force_reply: true, selective: true });
    expect(question.call.params.entities).toMatchObject([{ type: 'text_mention', user: { id: STAFF } }]);
    expect((await request(ref)).status).toBe('pending_approval');

    // Another staff member chatting meanwhile is not taken as the reason.
    fake.groupSends(STAFF_CHAT, OTHER_STAFF, 'saya cek dulu ya');
    const reason = 'Nomor baru belum dapat kami verifikasi; silakan hubungi kantor kami.';
    fake.injectUpdate({
      message: {
        message_id: 90_001,
        from: { id: STAFF, is_bot: false, first_name: 'Andi', username: 'andi_sj' },
        chat: { id: STAFF_CHAT, type: 'supergroup', title: 'Staf' },
        date: Math.floor(Date.now() / 1000),
        text: reason,
        reply_to_message: {
          message_id: question.messageId,
          chat: { id: STAFF_CHAT, type: 'supergroup' },
          date: 0,
        },
      },
    });
    const rejected = await until(
      () => request(ref),
      (r) => r.status === 'rejected',
    );
    expect(rejected.decision).toMatchObject({ outcome: 'rejected', by: `telegram:${STAFF}`, reason });
    const told = await fake.waitForMessage(
      SITI_CHAT,
      (m) => m.text?.includes(`Permintaan ${ref} tidak dapat`) ?? false,
    );
    expect(told.text).toContain(`Alasan dari staf: ${reason}`);
    const edit = await fake.waitForCall(
      'editMessageText',
      (c) => Number(c.params.message_id) === card.messageId,
    );
    expect(edit.params.text).toContain(`❌ Ditolak oleh Andi @andi_sj (telegram:${STAFF})`);
    expect(edit.params.text).toContain(`Alasan untuk pelanggan: ${reason}`);
    await fake.waitForMessage(
      STAFF_CHAT,
      (m) => m.text === `${ref} ditolak. Alasan sudah dikirim ke pelanggan.`,
    );
    // The customer's phone did not change.
    const siti = await t.ctx.models.Customer.findOne({ customerNo: 'SJ-000001' }).lean().orFail();
    expect(siti.phone).toBe('+6281287611943');
  });

  it('matches a reply to its own question when one member has two open', async () => {
    const ask = async (customerNo: string, phone: string) => {
      const created = await requests.create({
        type: 'update',
        customerId: await customerId(customerNo),
        channel: 'telegram',
        chatId: String(SITI_CHAT),
        locale: 'id',
        changes: { phone },
      });
      const card = await cardFor(created.ref);
      const mark = fake.callCount;
      await answerTo(press(STAFF, 'reject', created.ref, card));
      const question = await fake.waitForMessage(
        STAFF_CHAT,
        (m) => m.text?.includes(`tulis alasan penolakan ${created.ref}`) ?? false,
        { after: mark },
      );
      return { ref: created.ref, question };
    };
    const first = await ask('SJ-000003', '0812-3333-0003');
    const second = await ask('SJ-000004', '0812-4444-0004');
    // The question's id reaches the pending store from the sender's onSent hook, after the send.
    const reason = 'Nomor ini milik pelanggan lain.';
    fake.injectUpdate({
      message: {
        message_id: 90_101,
        from: { id: STAFF, is_bot: false, first_name: 'Andi', username: 'andi_sj' },
        chat: { id: STAFF_CHAT, type: 'supergroup', title: 'Staf' },
        date: Math.floor(Date.now() / 1000),
        text: reason,
        reply_to_message: {
          message_id: first.question.messageId,
          chat: { id: STAFF_CHAT, type: 'supergroup' },
          date: 0,
        },
      },
    });
    const rejected = await until(
      () => request(first.ref),
      (r) => r.status === 'rejected',
    );
    expect(rejected.decision).toMatchObject({ outcome: 'rejected', reason });
    expect((await request(second.ref)).status).toBe('pending_approval');
    // The second question is still open: the member's next message answers it.
    fake.groupSends(STAFF_CHAT, STAFF, 'batal', { firstName: 'Andi' });
    await fake.waitForMessage(
      STAFF_CHAT,
      (m) => m.text?.startsWith(`Penolakan ${second.ref} dibatalkan`) ?? false,
    );
    expect((await request(second.ref)).status).toBe('pending_approval');
  });

  it('takes the next plain message as the reason, and "batal" withdraws the rejection', async () => {
    const created = await requests.create({
      type: 'update',
      customerId: await customerId('SJ-000001'),
      channel: 'telegram',
      chatId: String(SITI_CHAT),
      locale: 'en',
      changes: { phone: '0812-7777-6655' },
    });
    const ref = created.ref;
    const card = await cardFor(ref);

    let mark = fake.callCount;
    await answerTo(press(OTHER_STAFF, 'reject', ref, card));
    fake.groupSends(STAFF_CHAT, OTHER_STAFF, 'batal', { firstName: 'Rina' });
    await fake.waitForMessage(STAFF_CHAT, (m) => m.text?.startsWith(`Penolakan ${ref} dibatalkan`) ?? false, {
      after: mark,
    });
    expect((await request(ref)).status).toBe('pending_approval');

    mark = fake.callCount;
    await answerTo(press(OTHER_STAFF, 'reject', ref, card));
    await fake.waitForMessage(STAFF_CHAT, (m) => m.text?.includes('tulis alasan penolakan') ?? false, {
      after: mark,
    });
    fake.groupSends(STAFF_CHAT, OTHER_STAFF, 'Please visit our office with your ID.', { firstName: 'Rina' });
    const rejected = await until(
      () => request(ref),
      (r) => r.status === 'rejected',
    );
    expect(rejected.decision).toMatchObject({
      by: `telegram:${OTHER_STAFF}`,
      reason: 'Please visit our office with your ID.',
    });
    await fake.waitForMessage(
      SITI_CHAT,
      (m) => m.text?.includes(`Our staff's reason: Please visit our office with your ID.`) ?? false,
    );

    // The question is answered: a later message from the same staff member is just chat.
    fake.groupSends(STAFF_CHAT, OTHER_STAFF, 'selesai', { firstName: 'Rina' });
    await new Promise((r) => setTimeout(r, 500));
    expect((await request(ref)).decision?.reason).toBe('Please visit our office with your ID.');
  });

  it('keeps staff talk away from the customer engine: nothing answers it', async () => {
    const mark = fake.messagesTo(STAFF_CHAT).length;
    fake.groupSends(STAFF_CHAT, STAFF, 'halo', { firstName: 'Andi' });
    fake.groupSends(STAFF_CHAT, OTHER_STAFF, 'akses', { firstName: 'Rina' });
    // Confirmed by the next poll only once handled: any answer to them is queued by then, and a
    // marker queued after it in the same chat arrives after it.
    await until(
      async () => fake.pendingUpdates,
      (n) => n === 0,
    );
    await outbox.send('telegram', String(STAFF_CHAT), [{ kind: 'text', text: 'penanda 2' }]);
    await fake.waitForMessage(STAFF_CHAT, (m) => m.text === 'penanda 2');
    expect(fake.textsTo(STAFF_CHAT).slice(mark)).toEqual(['penanda 2']);
  });

  it('also allows console accounts linked to a Telegram user, while they are enabled', async () => {
    const allowlist = createStaffAllowlist(t.ctx);
    expect(await allowlist.allows(String(STAFF))).toBe(true);
    expect(await allowlist.allows('999')).toBe(false);
    expect(await allowlist.allows('not-a-number')).toBe(false);
    const account = await t.ctx.models.StaffAccount.create({
      username: 'rina',
      role: 'agent',
      passwordHash: 'scrypt$test',
      disabled: false,
      telegramUserId: '999',
      createdBy: 'test',
    });
    expect(await allowlist.allows('999')).toBe(true);
    await t.ctx.models.StaffAccount.updateOne({ _id: account._id }, { $set: { disabled: true } });
    expect(await allowlist.allows('999')).toBe(false);
  });

  it('logs refs and tags, never customer data, staff ids or reasons', () => {
    const logs = [...t.appLogLines, ...t.ctx.logLines].join('\n');
    expect(logs).toContain('request approved in the staff chat');
    expect(logs).toContain('staff chat press refused: not on the allowlist');
    for (const secret of [
      ...RAW_PERSONAL,
      'Nomor baru belum dapat',
      'visit our office',
      `telegram:${STAFF}`,
      `"${INTRUDER}"`,
    ])
      expect(logs).not.toContain(secret);
  });

  it('posts SLA reminders and dead letters to the staff chat, masked', async () => {
    const notifier = outboxStaffNotifier(t.ctx, outbox);
    const created = await requests.create({
      type: 'update',
      customerId: await customerId('SJ-000001'),
      channel: 'telegram',
      chatId: String(SITI_CHAT),
      locale: 'id',
      changes: { phone: '0812-5555-4433' },
    });
    const mark = fake.callCount;
    await notifier.slaReminder(created.ref, '24h');
    const reminder = await fake.waitForMessage(
      STAFF_CHAT,
      (m) => m.text?.startsWith(`⏰ Pengingat: ${created.ref} jatuh tempo dalam 24 jam`) ?? false,
      { after: mark },
    );
    expect(reminder.buttons.map((b) => b.text)).toEqual(['Setujui', 'Tolak', 'Detail']);
    expect(reminder.text).toContain('Status: menunggu persetujuan staf');
    expectNoRawPersonalData(reminder.text);

    const notice = await recordDeadLetter(t.ctx, {
      key: `test/${created.ref}/1`,
      data: {
        channel: 'telegram',
        chatId: '6281287611943',
        message: { kind: 'text', text: 'Halo Siti Wulandari' },
        meta: { purpose: 'notification', requestRef: created.ref },
        part: { index: 0, total: 1 },
        enqueuedAt: Date.now(),
      },
      reason: 'CHAT_BLOCKED',
      detail: 'Forbidden: bot was blocked by the user 6281287611943',
      attempts: 1,
    });
    await notifier.deadLetter(notice);
    const dead = await fake.waitForMessage(
      STAFF_CHAT,
      (m) => m.text?.startsWith('⚠️ Pesan tidak terkirim') ?? false,
      {
        after: mark,
      },
    );
    expect(dead.text).toContain('CHAT_BLOCKED');
    expect(dead.text).toContain(`Permintaan: ${created.ref}`);
    expectNoRawPersonalData(dead.text);
    expect(dead.buttons).toEqual([{ text: 'Detail', data: `st:d:${created.ref}` }]);
  });
});
