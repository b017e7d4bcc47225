import type { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelDefinitions } from '../../src/channels/registry.js';
import { repliesAfter, type StoredReply } from '../../src/channels/webchat/store.js';
import { createWhatsAppAdapter } from '../../src/channels/whatsapp/index.js';
import { readDevOtpOutbox } from '../../src/identity/otp-providers/index.js';
import { outboundQueueName } from '../../src/outbound/queues.js';
import { parsePromo, sendPromo } from '../../src/promo/index.js';
import { staffCallbackData } from '../../src/staff/staff-cards.js';
import { type CloudSentMessage, FakeGraphApi } from '../fakes/graph-api.js';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { FakeWhatsAppPlatform } from '../fakes/whatsapp-client.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pollUntil } from '../helpers/poll.js';
import { describeHit, type Hit, type Needle, sweepMongo, sweepRedis } from '../helpers/store-sweep.js';

/**
 * The erasure sweep (issue 19): one customer per channel that can carry documents (Telegram,
 * WhatsApp Web, web chat, and the WhatsApp Cloud API added since) goes through the whole journey: update the email, ask for access from a
 * chat that refuses the documents, STOP, a promotion, and a delete that staff must approve
 * (an unpaid scheduled order). A second chat of each channel stops half-way through verifying
 * the customer's number. Then every MongoDB collection and every Redis key of the installation
 * is searched for each customer's name, phone (+62…, 62…, 08…, as typed), old and new email and
 * address. Nothing may be found but what the README's erasure section keeps, with its clause.
 *
 * The three journeys run side by side: a delete needs a fresh code, and one phone may be sent a
 * code only once a minute (src/identity/otp.ts), so each waits out that minute once.
 */

const STAFF_CHAT = -1009;
const STAFF = 9001;
const WAIT = { timeoutMs: 30_000 };

interface Person {
  channel: 'telegram' | 'whatsapp' | 'webchat' | 'whatsapp-cloud';
  customerNo: string;
  name: string;
  phone: string;
  typed: string;
  oldEmail: string;
  newEmail: string;
  address: string;
}

const PEOPLE: Person[] = [
  {
    channel: 'telegram',
    customerNo: 'SW-000001',
    name: 'Ratna Kusumawati',
    phone: '+6281298765401',
    typed: '0812-9876-5401',
    oldEmail: 'ratna.lama@contoh.co.id',
    newEmail: 'ratna.baru@contoh.co.id',
    address: 'Jl. Kenanga Raya No. 12, Bekasi',
  },
  {
    channel: 'whatsapp',
    customerNo: 'SW-000002',
    name: 'Hendra Gunawan Saputra',
    phone: '+6281398765402',
    typed: '0813-9876-5402',
    oldEmail: 'hendra.lama@contoh.co.id',
    newEmail: 'hendra.baru@contoh.co.id',
    address: 'Gg. Mawar Merah No. 7, Depok',
  },
  {
    channel: 'webchat',
    customerNo: 'SW-000003',
    name: 'Yulia Paramitha Sari',
    phone: '+6285798765403',
    typed: '0857-9876-5403',
    oldEmail: 'yulia.lama@contoh.co.id',
    newEmail: 'yulia.baru@contoh.co.id',
    address: 'Perumahan Cempaka Blok C3, Tangerang',
  },
  {
    channel: 'whatsapp-cloud',
    customerNo: 'SW-000004',
    name: 'Bambang Wicaksono Putro',
    phone: '+6281398765404',
    typed: '0813-9876-5404',
    oldEmail: 'bambang.lama@contoh.co.id',
    newEmail: 'bambang.baru@contoh.co.id',
    address: 'Jl. Flamboyan Indah No. 21, Bogor',
  },
];

function needlesOf(p: Person): Needle[] {
  const digits = p.phone.slice(1);
  return [
    { label: `${p.channel}: name`, value: p.name },
    { label: `${p.channel}: phone +62`, value: p.phone },
    { label: `${p.channel}: phone 62`, value: digits },
    { label: `${p.channel}: phone 08`, value: `0${digits.slice(2)}` },
    { label: `${p.channel}: phone as typed`, value: p.typed },
    { label: `${p.channel}: old email`, value: p.oldEmail },
    { label: `${p.channel}: new email`, value: p.newEmail },
    { label: `${p.channel}: address`, value: p.address },
  ];
}

/**
 * What the README's erasure section keeps on purpose. An order still open or unpaid is kept
 * whole, its delivery address included: policy §4 "Menghapus Data … tidak akan mempengaruhi
 * kewajiban kami untuk memenuhi layanan yang telah disepakati sebelumnya".
 */
function kept(hit: Hit): boolean {
  if (hit.store !== 'mongodb' || !hit.where.startsWith('serviceorders/') || !hit.label.endsWith(': address'))
    return false;
  const order = hit.doc as { status?: string; paymentStatus?: string } | undefined;
  const open =
    order?.status === 'scheduled' || order?.status === 'in_progress' || order?.paymentStatus === 'unpaid';
  return open && hit.path === 'address';
}

/** One chat as the customer drives it: type, press, read the bot's replies. */
interface Chat {
  readonly chatId: string;
  /** From now on: `waitFor` only looks at messages after this point. */
  mark(): Promise<void>;
  say(text: string): Promise<void>;
  press(label: string): Promise<void>;
  waitFor(part: string): Promise<string>;
}

let t: TestApp;
let fake: FakeTelegramBotApi;
let graph: FakeGraphApi;
const platform = new FakeWhatsAppPlatform('ready');
const whatsapp = channelDefinitions.find((d) => d.name === 'whatsapp');
const originalWhatsAppAdapter = whatsapp?.createAdapter;
/** WhatsApp documents are refused (an "invalid media" answer) while this holds. */
let whatsappRefusesMedia = false;
const ids = new Map<string, Types.ObjectId>();

class TelegramChat implements Chat {
  private after = 0;
  constructor(private readonly userId: number) {}
  get chatId() {
    return String(this.userId);
  }
  async mark() {
    this.after = fake.callCount;
  }
  async say(text: string) {
    fake.userSends(this.userId, text);
  }
  async press(label: string) {
    fake.pressButton(this.userId, { label });
  }
  async waitFor(part: string) {
    const m = await fake.waitForMessage(this.userId, (x) => (x.text ?? x.caption ?? '').includes(part), {
      ...WAIT,
      after: this.after,
    });
    return m.text ?? m.caption ?? '';
  }
}

class WhatsAppChat implements Chat {
  private after = 0;
  constructor(readonly chatId: string) {}
  private texts(): string[] {
    return platform.clients
      .flatMap((c) => c.sent)
      .filter((s) => s.chatId === this.chatId)
      .map((s) => (typeof s.content === 'string' ? s.content : ''));
  }
  async mark() {
    this.after = this.texts().length;
  }
  async say(text: string) {
    platform.current.receive({ from: this.chatId, body: text });
  }
  async press(label: string) {
    // Buttons reach WhatsApp as numbered options; the engine accepts the label typed back.
    await this.say(label);
  }
  async waitFor(part: string) {
    return pollUntil(
      `WhatsApp ${this.chatId.slice(0, 4)}… to get "${part}"`,
      async () =>
        this.texts()
          .slice(this.after)
          .find((x) => x.includes(part)),
      { ...WAIT, explain: async () => JSON.stringify(this.texts().slice(this.after)) },
    );
  }
}

class WebChat implements Chat {
  private after = 0;
  constructor(
    readonly chatId: string,
    private readonly token: string,
  ) {}
  /** A chat as the page gets it: id and reading token issued by the server. */
  static async open(): Promise<WebChat> {
    const res = await fetch(`${t.baseUrl}/chat/api/chats`, { method: 'POST' });
    const { chatId, token } = (await res.json()) as { chatId: string; token: string };
    return new WebChat(chatId, token);
  }
  private async replies(): Promise<StoredReply[]> {
    const res = await fetch(`${t.baseUrl}/chat/api/replies?chatId=${this.chatId}&after=0`, {
      headers: { 'x-chat-token': this.token },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { replies: StoredReply[] }).replies;
  }
  private async post(body: Record<string, unknown>) {
    const res = await fetch(`${t.baseUrl}/chat/api/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chatId: this.chatId, ...body }),
    });
    expect(res.status).toBe(202);
  }
  async mark() {
    // Sequence numbers only grow: everything after the latest one.
    this.after = (await this.replies()).at(-1)?.seq ?? 0;
  }
  async say(text: string) {
    await this.post({ text });
  }
  async press(label: string) {
    const replies = await this.replies();
    const button = replies
      .flatMap((r) => (r.message.kind === 'buttons' ? r.message.buttons : []))
      .reverse()
      .find((b) => b.label === label);
    if (!button) throw new Error(`no button "${label}" in the web chat`);
    await this.post({ action: { value: button.value } });
  }
  async waitFor(part: string) {
    return pollUntil(
      `web chat to get "${part}"`,
      async () =>
        (await this.replies())
          .filter((r) => r.seq > this.after)
          .map((r) => ('text' in r.message ? r.message.text : (r.message.caption ?? '')))
          .find((x) => x.includes(part)),
      WAIT,
    );
  }
}

/**
 * A WhatsApp Cloud API chat: the customer writes through Meta's (fake) webhooks and presses the
 * interactive buttons; a template's parameters are what it shows (outside the 24-hour window a
 * request notice goes as the request-update template).
 */
class CloudChat implements Chat {
  private after = 0;
  constructor(readonly chatId: string) {}
  private shown(m: CloudSentMessage): string {
    if (m.type !== 'template') return m.text;
    const body = m.body.template as { components?: { parameters?: { text?: string }[] }[] };
    return (body.components ?? []).flatMap((c) => (c.parameters ?? []).map((p) => p.text ?? '')).join(' | ');
  }
  async mark() {
    this.after = graph.messages.length;
  }
  async say(text: string) {
    expect((await graph.userSends(this.chatId, text)).status).toBe(200);
  }
  async press(label: string) {
    expect((await graph.pressButton(this.chatId, label)).status).toBe(200);
  }
  async waitFor(part: string) {
    return pollUntil(
      `WhatsApp Cloud ${this.chatId.slice(0, 4)}… to get "${part}"`,
      async () =>
        graph.messages
          .slice(this.after)
          .filter((m) => m.to === this.chatId)
          .map((m) => this.shown(m))
          .find((x) => x.includes(part)),
      {
        ...WAIT,
        explain: async () =>
          JSON.stringify(
            graph.messages
              .slice(this.after)
              .filter((m) => m.to === this.chatId)
              .map((m) => this.shown(m)),
          ),
      },
    );
  }
}

/** WhatsApp (Web and Cloud API) proves the sender's number: verification offers it. */
const offersSenderPhone = (channel: Person['channel']) =>
  channel === 'whatsapp' || channel === 'whatsapp-cloud';

interface Journey {
  person: Person;
  chat: Chat;
  /** A second chat of the same channel that stops half-way through verifying the number. */
  halfway: Chat;
  codeAt: number;
  accessRef?: string;
  eraseRef?: string;
}

let journeys: Journey[] = [];

const mark = (chat: Chat) => chat.mark();

/** The newest development code for a phone, sent at or after `since`. */
async function codeFor(phone: string, since: number): Promise<string> {
  const entry = await pollUntil(
    `a code for …${phone.slice(-4)}`,
    async () =>
      (await readDevOtpOutbox(t.ctx)).find(
        (e) => e.phoneLast4 === phone.slice(-4) && Date.parse(e.at) >= since - 1000,
      ),
    WAIT,
  );
  return entry.code;
}

/** Verification inside a flow: WhatsApp offers the sender's number, the others type it. */
async function verify(j: Journey): Promise<void> {
  const since = Date.now();
  if (offersSenderPhone(j.person.channel)) {
    await j.chat.waitFor('Kirim kode ke nomor ini');
    await mark(j.chat);
    await j.chat.press('Ya');
  } else {
    await j.chat.waitFor('nomor HP');
    await mark(j.chat);
    await j.chat.say(j.person.typed);
  }
  await j.chat.waitFor('kode 6 angka');
  const code = await codeFor(j.person.phone, since);
  j.codeAt = Date.now();
  await mark(j.chat);
  await j.chat.say(code);
}

const refOf = (text: string) => /PR-[A-Z0-9]{6}/.exec(text)?.[0] ?? '';

beforeAll(async () => {
  if (!whatsapp) throw new Error('whatsapp channel not registered');
  // The gateway's WhatsApp adapter drives the fake platform (no browser); documents can be refused.
  whatsapp.createAdapter = (ctx) =>
    createWhatsAppAdapter(ctx, {
      loadPlatform: async () => platform,
      messagesPerSecond: 50,
      jitterMs: { min: 0, max: 0 },
      watchdogMs: 0,
      printQr: () => {},
    });
  const createClient = platform.createClient.bind(platform);
  platform.createClient = () => {
    const client = createClient();
    const send = client.sendMessage.bind(client);
    client.sendMessage = async (chatId, content, options) => {
      // WhatsApp Web rejecting a file: the adapter maps "invalid media" to BAD_REQUEST.
      if (whatsappRefusesMedia && typeof content !== 'string')
        client.failNextSend(new Error('invalid media'));
      return send(chatId, content, options);
    };
    return client;
  };
  fake = await FakeTelegramBotApi.start({ maxPollSeconds: 1, knownChats: [STAFF_CHAT] });
  graph = await FakeGraphApi.start();
  t = await startTestApp({
    ...fake.env,
    ...graph.env,
    TELEGRAM_STAFF_CHAT_ID: String(STAFF_CHAT),
    TELEGRAM_STAFF_USER_IDS: String(STAFF),
    WHATSAPP_ENABLED: 'true',
    WHATSAPP_MESSAGES_PER_SECOND: '20',
    WEBCHAT_ENABLED: 'true',
    OTP_PROVIDER: 'console',
    LOG_LEVEL: 'info',
  });
  const now = Date.now();
  for (const [i, p] of PEOPLE.entries()) {
    const customer = await t.ctx.models.Customer.create({
      customerNo: p.customerNo,
      name: p.name,
      phone: p.phone,
      email: p.oldEmail,
      address: p.address,
      area: 'Sweep',
      paymentMethod: 'transfer bank',
      marketingConsent: { granted: true, updatedAt: new Date(now), source: 'test' },
    });
    ids.set(p.channel, customer._id);
    const order = {
      customerId: customer._id,
      service: 'Sedot WC',
      address: p.address,
      paymentMethod: 'transfer bank',
    };
    await t.ctx.models.ServiceOrder.create([
      {
        ...order,
        orderNo: `SWO-${i}-1`,
        status: 'completed',
        paymentStatus: 'paid',
        amount: 450_000,
        scheduledAt: new Date(now - 30 * 86_400_000),
      },
      {
        ...order,
        orderNo: `SWO-${i}-2`,
        status: 'scheduled',
        paymentStatus: 'unpaid',
        amount: 500_000,
        scheduledAt: new Date(now + 3 * 86_400_000),
      },
    ]);
  }
  graph.webhookUrl = `${t.baseUrl}/whatsapp-cloud/webhook`;
  await fake.waitForCall('getUpdates', () => true, WAIT);
  await pollUntil('WhatsApp connected', async () => platform.clients.length > 0, WAIT);
  journeys = [
    { person: PEOPLE[0]!, chat: new TelegramChat(9101), halfway: new TelegramChat(9102), codeAt: 0 },
    {
      person: PEOPLE[1]!,
      chat: new WhatsAppChat('6281398765402@c.us'),
      halfway: new WhatsAppChat('6281311110000@c.us'),
      codeAt: 0,
    },
    {
      person: PEOPLE[2]!,
      chat: await WebChat.open(),
      halfway: await WebChat.open(),
      codeAt: 0,
    },
    {
      person: PEOPLE[3]!,
      chat: new CloudChat('6281398765404'),
      halfway: new CloudChat('6281311110004'),
      codeAt: 0,
    },
  ];
}, 90_000);

afterAll(async () => {
  await t?.stop();
  await fake?.close();
  await graph?.stop();
  if (whatsapp && originalWhatsAppAdapter) whatsapp.createAdapter = originalWhatsAppAdapter;
});

const allNeedles = () => PEOPLE.flatMap(needlesOf);

async function updateEmail(j: Journey) {
  await mark(j.chat);
  await j.chat.say('ubah');
  await verify(j);
  await j.chat.waitFor('Data mana');
  await mark(j.chat);
  await j.chat.press('Email');
  await j.chat.waitFor('alamat email yang baru');
  await mark(j.chat);
  await j.chat.say(j.person.newEmail);
  await j.chat.waitFor('Kirim permintaan perubahan');
  await mark(j.chat);
  await j.chat.press('Ya');
  await j.chat.waitFor('sudah diperbarui');
}

/** Someone (or another device) types the customer's number and stops before the code. */
async function stopHalfway(j: Journey) {
  const h = j.halfway;
  await mark(h);
  await h.say('akses');
  if (offersSenderPhone(j.person.channel)) {
    await h.waitFor('Kirim kode ke nomor ini');
    await mark(h);
    await h.press('Tidak');
  }
  await h.waitFor('nomor HP');
  await mark(h);
  await h.say(j.person.phone.slice(1));
  // A code was just sent to this phone: the answer may be the cooldown, then the code prompt.
  await h.waitFor('kode');
}

async function accessRefused(j: Journey) {
  const { channel } = j.person;
  await mark(j.chat);
  await j.chat.say('akses');
  await j.chat.waitFor('dua dokumen');
  await mark(j.chat);
  // Telegram: the customer blocks the bot (403 to every send); WhatsApp: files are rejected;
  // WhatsApp Cloud API: Meta accepts the sends, then reports them failed (131026, undeliverable).
  if (channel === 'telegram') fake.userBlocksBot(Number(j.chat.chatId));
  if (channel === 'whatsapp') whatsappRefusesMedia = true;
  if (channel === 'whatsapp-cloud') graph.undeliverable.add(j.chat.chatId);
  await j.chat.press('Ya');
  // A blocked chat gets no "queued" reply either (it is dead-lettered with the rest).
  if (channel !== 'telegram') await j.chat.waitFor('akan dikirim');
  const customerId = ids.get(channel);
  const request = await pollUntil(
    `${channel}: the access request completed`,
    async () =>
      (await t.ctx.models.PrivacyRequest.findOne({
        customerId,
        type: 'access',
        status: 'completed',
      }).lean()) ?? undefined,
    WAIT,
  );
  j.accessRef = request.ref;
  if (channel !== 'webchat') {
    // Both documents could not go: dead-lettered (the web chat always takes them).
    await pollUntil(
      `${channel}: both documents dead-lettered`,
      async () =>
        (await t.ctx.models.DeadLetter.countDocuments({
          requestRef: request.ref,
          messageKind: 'document',
        })) === 2,
      WAIT,
    );
  }
  if (channel === 'telegram') {
    await pollUntil(
      'the access notice dead-lettered too',
      async () => (await t.ctx.models.DeadLetter.countDocuments({ requestRef: request.ref })) === 3,
      WAIT,
    );
    fake.userUnblocksBot(Number(j.chat.chatId));
  }
  if (channel === 'whatsapp') whatsappRefusesMedia = false;
  if (channel === 'whatsapp-cloud') graph.undeliverable.delete(j.chat.chatId);
}

async function stop(j: Journey) {
  await mark(j.chat);
  await j.chat.say('STOP');
  await j.chat.waitFor('tidak akan menerima promosi');
  const customerId = ids.get(j.person.channel);
  await pollUntil(
    `${j.person.channel}: marketing off`,
    async () =>
      (await t.ctx.models.Customer.findById(customerId).lean())?.marketingConsent?.granted === false,
    WAIT,
  );
}

async function flaggedDelete(j: Journey) {
  // One code a minute per phone: the delete's fresh code waits for the update's minute to pass.
  await pollUntil('the code cooldown of the phone to pass', async () => Date.now() > j.codeAt + 61_000, {
    timeoutMs: 90_000,
    everyMs: 500,
  });
  await mark(j.chat);
  await j.chat.say('hapus');
  await verify(j);
  await j.chat.waitFor('yakin ingin menghapus');
  await mark(j.chat);
  await j.chat.press('Ya');
  j.eraseRef = refOf(await j.chat.waitFor('staf kami akan meninjaunya'));
  expect(j.eraseRef).toMatch(/^PR-/);
  const card = await fake.waitForMessage(
    STAFF_CHAT,
    (m) => m.buttons.some((b) => b.data === staffCallbackData('approve', j.eraseRef ?? '')),
    WAIT,
  );
  await mark(j.chat);
  fake.pressButton(STAFF, {
    data: staffCallbackData('approve', j.eraseRef),
    messageId: card.messageId,
    chatId: STAFF_CHAT,
  });
  await j.chat.waitFor('sudah kami hapus');
  await pollUntil(
    `${j.person.channel}: the erase completed`,
    async () =>
      (await t.ctx.models.PrivacyRequest.findOne({ ref: j.eraseRef }).lean())?.status === 'completed',
    WAIT,
  );
}

/** Every outbound partition empty: nothing left to send or retry. */
async function outboundDrained(): Promise<boolean> {
  const names = ['telegram', 'webchat', 'whatsapp-cloud'].flatMap((c) =>
    Array.from({ length: 8 }, (_, p) => outboundQueueName(c, p)),
  );
  names.push(outboundQueueName('whatsapp', 0));
  for (const name of names) {
    const base = `${t.ctx.config.redisPrefix}:${name}`;
    const [wait, active, delayed, prioritized] = await Promise.all([
      t.ctx.redis.llen(`${base}:wait`),
      t.ctx.redis.llen(`${base}:active`),
      t.ctx.redis.zcard(`${base}:delayed`),
      t.ctx.redis.zcard(`${base}:prioritized`),
    ]);
    if (wait + active + delayed + prioritized > 0) return false;
  }
  // Meta's webhooks (the statuses of the last sends name the number) taken off by the gateway.
  return (await t.ctx.redis.llen(`${t.ctx.config.redisPrefix}:whatsapp-cloud:events`)) === 0;
}

describe('erasure sweep: Telegram, WhatsApp Web, web chat and the WhatsApp Cloud API', () => {
  it('the sweep itself finds what it looks for, in every Redis type and in base64 and JSON', async () => {
    const probe: Needle[] = [{ label: 'probe', value: 'Probe Pelanggan Unik' }];
    const p = `${t.ctx.config.redisPrefix}:sweep-probe`;
    const b64 = Buffer.from(JSON.stringify({ name: 'Probe Pelanggan Unik' })).toString('base64');
    await t.ctx.redis
      .multi()
      .set(`${p}:string`, JSON.stringify({ doc: b64 }))
      .hset(`${p}:hash`, 'data', JSON.stringify({ message: { contentBase64: b64 } }))
      .rpush(`${p}:list`, b64)
      .sadd(`${p}:set`, 'x\nProbe Pelanggan Unik')
      .zadd(`${p}:zset`, 1, b64)
      .xadd(`${p}:stream`, '*', 'event', JSON.stringify({ note: b64 }))
      .exec();
    const hits = await sweepRedis(t.ctx.redis, t.ctx.config.redisPrefix, probe);
    expect(new Set(hits.map((h) => h.where.split(':').at(-1)))).toEqual(
      new Set(['string', 'hash', 'list', 'set', 'zset', 'stream']),
    );
    await t.ctx.redis.del(...['string', 'hash', 'list', 'set', 'zset', 'stream'].map((k) => `${p}:${k}`));
  });

  it('each customer updates the email, is half-way verified elsewhere, asks for access (documents refused), and says STOP', async () => {
    await Promise.all(
      journeys.map(async (j) => {
        await updateEmail(j);
        await stopHalfway(j);
        await accessRefused(j);
        await stop(j);
      }),
    );
    for (const p of PEOPLE) {
      const c = await t.ctx.models.Customer.findById(ids.get(p.channel)).lean();
      expect(c?.email).toBe(p.newEmail);
      expect(c?.marketingConsent?.granted).toBe(false);
    }
  }, 180_000);

  it('a promotion goes out to the area; the opted-out customers are skipped', async () => {
    const report = await sendPromo(
      t.ctx,
      parsePromo({
        id: 'sweep-promo',
        message: { id: 'Diskon 20% sedot WC!', en: '20% off septic pumping!' },
        channels: ['telegram', 'whatsapp', 'webchat', 'whatsapp-cloud'],
        audience: { area: 'Sweep' },
      }),
    );
    expect(report.sent).toBe(0);
    expect(report.audience).toBe(PEOPLE.length);
  });

  it('before the erase the sweep finds them: it is able to fail', async () => {
    await pollUntil('outbound queues drained', outboundDrained, WAIT);
    const mongo = await sweepMongo(t.ctx.mongo, allNeedles());
    const redis = await sweepRedis(t.ctx.redis, t.ctx.config.redisPrefix, allNeedles());
    for (const p of PEOPLE) {
      for (const label of ['name', 'phone +62', 'new email', 'address'])
        expect(mongo.map((h) => h.label)).toContain(`${p.channel}: ${label}`);
    }
    // The web chat's documents sit in its replies (base64 inside JSON): found through both.
    expect(redis.some((h) => h.label === 'webchat: name' && h.where.includes(':webchat:replies:'))).toBe(
      true,
    );
    // Those replies are the chat's page's only: no token, or another chat's, reads nothing.
    const [mine, other] = [journeys[2]?.chat, journeys[2]?.halfway] as WebChat[];
    const otherToken = (other as unknown as { token: string }).token;
    for (const headers of [{}, { 'x-chat-token': otherToken }] as Record<string, string>[]) {
      const res = await fetch(`${t.baseUrl}/chat/api/replies?chatId=${mine?.chatId}`, { headers });
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain(PEOPLE[2]?.name);
    }
    // The half-way WhatsApp chat holds the number in its session.
    expect(redis.some((h) => h.label === 'whatsapp: phone +62' && h.where.includes(':session:'))).toBe(true);
    // On the WhatsApp Cloud API the chat id is the number: the customer's chat's keys name it.
    expect(
      redis.some(
        (h) => h.label === 'whatsapp-cloud: phone 62' && h.where.includes(':whatsapp-cloud:6281398765404'),
      ),
    ).toBe(true);
  });

  it('each deletes; staff approve; afterwards nothing of them is in MongoDB or Redis but what is kept on purpose', async () => {
    await Promise.all(journeys.map((j) => flaggedDelete(j)));
    await pollUntil('outbound queues drained', outboundDrained, WAIT);

    const hits = [
      ...(await sweepMongo(t.ctx.mongo, allNeedles())),
      ...(await sweepRedis(t.ctx.redis, t.ctx.config.redisPrefix, allNeedles())),
    ];
    const kept_ = hits.filter(kept);
    const leaked = hits.filter((h) => !kept(h));
    expect(leaked.map(describeHit)).toEqual([]);
    // What is kept is exactly the open order's address, one per customer.
    expect(kept_.map((h) => h.label).sort()).toEqual(PEOPLE.map((p) => `${p.channel}: address`).sort());

    for (const j of journeys) {
      const audit = await t.ctx.models.AuditEvent.findOne({
        requestRef: j.eraseRef,
        action: 'customer.erased',
      }).lean();
      const details = audit?.details as { redis?: Record<string, number> } | undefined;
      // The erase says what it reached in Redis.
      expect(details?.redis, j.person.channel).toMatchObject({
        sessions: expect.any(Number),
        otpKeys: expect.any(Number),
      });
      expect(details?.redis?.phoneSessions, `${j.person.channel}: the half-way session`).toBe(1);
    }
    const webchat = journeys[2]!;
    expect(
      (
        await t.ctx.models.AuditEvent.findOne({
          requestRef: webchat.eraseRef,
          action: 'customer.erased',
        }).lean()
      )?.details,
    ).toMatchObject({ redis: { chatsForgottenByChannel: 1 } });
    // What the web chat still shows names the erase and nothing else: its acknowledgement (kept
    // by the erase, src/workers/erase-keeps.ts) and its outcome; the sweep above read them too.
    const left = (await repliesAfter(t.ctx, webchat.chat.chatId, 0)).map((r) =>
      'text' in r.message ? r.message.text : `[${r.message.kind}]`,
    );
    expect(left).toEqual(expect.arrayContaining([expect.stringContaining('staf kami akan meninjaunya')]));
    expect(left.filter((x) => !x.includes(webchat.eraseRef ?? '?'))).toEqual([]);
  }, 240_000);
});
