import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Button, InboundMessage, OutboundMessage } from '../../src/channels/types.js';
import { ConversationEngine, flowCatalog } from '../../src/conversation/engine.js';
import { loadFlows } from '../../src/conversation/flow-loader.js';
import { FLOWS_DIR } from '../../src/conversation/runtime.js';
import { sessionKey } from '../../src/identity/links.js';
import { createOtpService } from '../../src/identity/otp.js';
import { createConsoleOtpProvider, readDevOtpOutbox } from '../../src/identity/otp-providers/index.js';
import { createOutbox } from '../../src/outbound/outbox.js';
import { createRequestService } from '../../src/requests/index.js';
import { seedDemo } from '../../src/seed/seed.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { loadTranscripts, type Transcript } from '../helpers/transcripts.js';

const transcripts = loadTranscripts('test/conversations');
const flows = loadFlows(FLOWS_DIR, flowCatalog());

let ctx: TestContext;
beforeAll(async () => {
  // Many transcripts use the same customers: the per-day request cap has its own transcript.
  ctx = await createTestContext({ MAX_REQUESTS_PER_DAY: '1000' });
  await seedDemo(ctx.models);
});
afterAll(() => ctx.cleanup());

const textOf = (m: OutboundMessage): string =>
  m.kind === 'document'
    ? `[document ${m.fileName}]`
    : m.kind === 'buttons'
      ? `${m.text}\n${m.buttons.map((b) => `[${b.label}]`).join(' ')}`
      : m.kind === 'contact_request'
        ? `${m.text}\n[${m.buttonLabel}]`
        : m.text;

async function play(transcript: Transcript, chatNo: number): Promise<void> {
  // Each transcript gets its own Redis prefix: OTP limits and sessions do not leak between them.
  const prefix = `${ctx.config.redisPrefix}:tr${chatNo}`;
  const app = {
    ...ctx,
    config: { ...ctx.config, redisPrefix: prefix },
    key: (...p: (string | number)[]) => [prefix, ...p].join(':'),
  };
  let clock = Date.now();
  const outbox = createOutbox(app);
  const otp = createOtpService(app, createConsoleOtpProvider(app), { now: () => clock });
  const requests = createRequestService(app, { outbox });
  const engine = new ConversationEngine(app, { otp, requests }, flows);
  const chatId = `chat-${chatNo}`;
  const senderId = chatId;
  const customer = transcript.customer
    ? await ctx.models.Customer.findOne({ customerNo: transcript.customer }).lean()
    : undefined;
  if (transcript.restricted && customer) {
    const restriction = { scope: transcript.restricted, since: new Date('2026-11-02T03:00:00Z') };
    await ctx.models.Customer.updateOne(
      { _id: customer._id },
      { $set: { processingRestriction: restriction } },
    );
  }
  const buttonHistory: Button[][] = [];
  let last: InboundMessage | undefined;
  let messageNo = 0;
  const log: string[] = [];
  try {
    for (const [index, step] of transcript.steps.entries()) {
      const where = `${transcript.name}, step ${index + 1}`;
      if (step.advance) clock += step.advance * 1000;
      if (step.expireSession) await ctx.redis.del(sessionKey(app, transcript.channel, chatId));
      let inbound: InboundMessage | undefined;
      const base = {
        channel: transcript.channel,
        chatId,
        senderId,
        receivedAt: new Date(clock),
        messageId: `m${++messageNo}`,
        messageKey: `${chatId}:m${messageNo}`,
        ...(transcript.senderPhone ? { senderPhone: transcript.senderPhone } : {}),
        ...(transcript.language ? { languageHint: transcript.language } : {}),
      };
      if (step.send !== undefined) {
        let text = step.send;
        if (text.includes('{otp}')) {
          await otp.drain();
          const [latest] = await readDevOtpOutbox(app);
          text = text.replace('{otp}', latest?.code ?? 'no-code');
        }
        text = text.replace(/\{repeat:(\d+)\}/, (_, n: string) => 'x'.repeat(Number(n)));
        inbound = { ...base, text };
      } else if (step.press !== undefined || step.pressFrom !== undefined) {
        const buttons = buttonHistory[buttonHistory.length - (step.pressFrom ?? 1)];
        const button = buttons?.[(step.press ?? 1) - 1];
        if (!button) throw new Error(`${where}: no button ${step.press} to press`);
        inbound = { ...base, action: { value: button.value } };
      } else if (step.contact) {
        inbound = {
          ...base,
          contact: {
            phone: step.contact.phone,
            userId: step.contact.ownerIsSender ? senderId : 'someone-else',
          },
        };
      } else if (step.replay) {
        inbound = last;
      }
      let replies: OutboundMessage[] = [];
      if (inbound) {
        last = inbound;
        replies = await engine.handle(inbound);
      }
      for (const reply of replies) if (reply.kind === 'buttons') buttonHistory.push(reply.buttons);
      const texts = replies.map(textOf);
      log.push(
        `> ${inbound?.text ?? inbound?.action?.value ?? (inbound?.contact ? '[contact]' : '')}`,
        ...texts.map((t) => `< ${t}`),
      );
      const context = `${where}\n${log.join('\n')}`;
      for (const text of texts) expect(text.trim().length, context).toBeGreaterThan(0);
      if (step.replies !== undefined) expect(replies.length, context).toBe(step.replies);
      for (const pattern of step.expect ?? []) {
        expect(
          texts.some((t) => new RegExp(pattern, 'i').test(t)),
          `${context}\nexpected /${pattern}/`,
        ).toBe(true);
      }
      for (const pattern of step.reject ?? []) {
        expect(
          texts.some((t) => new RegExp(pattern, 'i').test(t)),
          `${context}\nrejected /${pattern}/`,
        ).toBe(false);
      }
      if (step.buttons) {
        const labels =
          (replies.findLast((r) => r.kind === 'buttons') as { buttons: Button[] } | undefined)?.buttons.map(
            (b) => b.label,
          ) ?? [];
        expect(labels.length, context).toBe(step.buttons.length);
        for (const [i, pattern] of step.buttons.entries()) {
          expect(labels[i] ?? '', context).toMatch(new RegExp(pattern, 'i'));
        }
      }
      if (step.db) {
        if (!customer) throw new Error(`${where}: db checks need a customer`);
        const found = await ctx.models.PrivacyRequest.find({ customerId: customer._id, chatId })
          .sort({ createdAt: 1 })
          .lean();
        if (step.db.requestCount !== undefined) expect(found.length, context).toBe(step.db.requestCount);
        if (step.db.requests) {
          expect(
            found.map((r) => ({ type: r.type, status: r.status })),
            context,
          ).toEqual(step.db.requests);
        }
        if (step.db.marketing !== undefined) {
          const now = await ctx.models.Customer.findById(customer._id).lean();
          expect(now?.marketingConsent?.granted, context).toBe(step.db.marketing);
        }
        if (step.db.changes) {
          expect(found.at(-1)?.changes, context).toMatchObject(step.db.changes);
        }
        if (step.db.linked !== undefined) {
          const linked = await ctx.redis.get(app.key('link', transcript.channel, chatId));
          expect(linked === String(customer._id), context).toBe(step.db.linked);
        }
      }
    }
  } finally {
    if (transcript.restricted && customer)
      await ctx.models.Customer.updateOne({ _id: customer._id }, { $unset: { processingRestriction: 1 } });
    await otp.drain();
    await requests.close();
    await outbox.close();
  }
}

describe('conversations (test/conversations/*.yaml)', () => {
  it('has transcripts', () => expect(transcripts.length).toBeGreaterThan(10));
  transcripts.forEach(({ file, transcript }, i) => {
    it(`${file}: ${transcript.name}`, () => play(transcript, i));
  });
});
