import type { Telegram } from 'telegraf';
import { z } from 'zod';
import type { AppContext } from '../app/context.js';
import { recordAudit } from '../audit/record.js';
import { callSignal } from '../channels/telegram/api-signal.js';
import {
  type StaffUpdateHandler,
  type StaffUpdateResult,
  TelegramAdapter,
  type TelegramUpdate,
} from '../channels/telegram/index.js';
import type { ChannelAdapter } from '../channels/types.js';
import type { PrivacyRequest } from '../db/index.js';
import { logTag } from '../logging/logger.js';
import { RequestError, type RequestService } from '../requests/api.js';
import { createStaffAllowlist, type StaffAllowlist, telegramStaffActor } from './allowlist.js';
import {
  type CardData,
  cardButtons,
  decidedCardText,
  loadCardData,
  parseStaffCallbackData,
  requestDetailText,
  type StaffAction,
  statusLabel,
} from './staff-cards.js';
import { type PendingReason, pendingReasonStore } from './telegram-pending-reason.js';
import { staffNames } from './telegram-staff-names.js';

/**
 * The Telegram staff chat: what happens when staff press Setujui / Tolak / Detail on a card, and
 * the reason that follows a Tolak. The adapter hands every update from TELEGRAM_STAFF_CHAT_ID
 * here (never to the customer engine); decisions go through the request service, which records
 * them, queues the work and tells the customer. Every press is checked against the allowlist by
 * the presser's user id, whatever chat it came from.
 */

export interface TelegramStaffChatDeps {
  /** The adapter's telegraf client (edits, questions, details). */
  telegram: Telegram;
  requests: Pick<RequestService, 'decide'>;
  allowlist?: StaffAllowlist;
  now?: () => Date;
  /** How long a Tolak waits for its reason. Default 5 minutes. */
  reasonTtlSeconds?: number;
  /** Per Bot API call. */
  requestTimeoutMs?: number;
}

export interface TelegramStaffChat {
  handle: StaffUpdateHandler;
}

export const STAFF_CHAT_TEXTS = {
  notAllowed: 'Maaf, Anda tidak berwenang memutuskan permintaan. (Not allowed)',
  notFound: (ref: string) => `Permintaan ${ref} tidak ditemukan.`,
  approved: (ref: string) => `${ref} disetujui.`,
  alreadyDecided: (who: string, outcome: string) => `Sudah diputuskan oleh ${who} (${outcome}).`,
  noDecisionNeeded: (ref: string, status: string) => `${ref} sudah ${status}; tidak perlu keputusan.`,
  askReasonAnswer: (ref: string) => `Tulis alasan penolakan ${ref}.`,
  askReason: (name: string, ref: string, minutes: number) =>
    `${name}, tulis alasan penolakan ${ref} untuk pelanggan: balas pesan ini (dalam ${minutes} menit). Alasan ini dikirim ke pelanggan apa adanya. Ketik "batal" untuk membatalkan.`,
  reasonCancelled: (ref: string) => `Penolakan ${ref} dibatalkan; permintaan tetap menunggu keputusan.`,
  reasonNotText: 'Kirim alasan penolakan sebagai teks biasa, atau "batal".',
  reasonTooLong: (length: number, max: number) =>
    `Alasan terlalu panjang (${length} karakter, maks. ${max}). Kirim versi yang lebih pendek.`,
  rejected: (ref: string) => `${ref} ditolak. Alasan sudah dikirim ke pelanggan.`,
  detailSent: (ref: string) => `Detail ${ref} dikirim.`,
} as const;

const MAX_REASON = 500;

const staffUser = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: z.string().max(256).optional(),
  last_name: z.string().max(256).optional(),
  username: z.string().max(64).optional(),
});
const chatRef = z.looseObject({ id: z.number().int() });

/** The fields of a staff chat update this module reads; the adapter validated the rest. */
const staffUpdateSchema = z.looseObject({
  callback_query: z
    .looseObject({
      id: z.string(),
      from: staffUser,
      data: z.string().optional(),
      message: z.looseObject({ message_id: z.number().int(), chat: chatRef }).optional(),
    })
    .optional(),
  message: z
    .looseObject({
      message_id: z.number().int(),
      from: staffUser.optional(),
      chat: chatRef,
      text: z.string().optional(),
      reply_to_message: z.looseObject({ message_id: z.number().int() }).optional(),
    })
    .optional(),
});

type StaffUser = z.infer<typeof staffUser>;
type Press = {
  id: string;
  from: StaffUser;
  chatId: string;
  cardMessageId?: number;
  action: StaffAction;
  ref: string;
};
type StaffMessage = NonNullable<z.infer<typeof staffUpdateSchema>['message']>;

const isNotModified = (err: unknown) => /message is not modified/i.test((err as Error)?.message ?? '');

export function createTelegramStaffChat(ctx: AppContext, deps: TelegramStaffChatDeps): TelegramStaffChat {
  const log = ctx.logger.child({ component: 'staff-chat' });
  const allowlist = deps.allowlist ?? createStaffAllowlist(ctx);
  const now = deps.now ?? (() => new Date());
  const reasonTtl = deps.reasonTtlSeconds ?? 300;
  const pending = pendingReasonStore(ctx, reasonTtl);
  const names = staffNames(ctx);
  const timeoutMs = deps.requestTimeoutMs ?? 15_000;
  const tg = deps.telegram;

  const reply = async (chatId: string, text: string, replyTo?: number) =>
    tg.callApi(
      'sendMessage',
      {
        chat_id: chatId,
        text,
        ...(replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
      },
      callSignal(timeoutMs),
    );

  /**
   * The card shows the decision and keeps only Detail. Best effort: the decision is made and
   * recorded whether or not Telegram takes the edit.
   */
  const editCard = async (chatId: string, messageId: number | undefined, data: CardData) => {
    if (messageId === undefined) return;
    const buttons = cardButtons(data.request.ref, data.request.status);
    try {
      await tg.callApi(
        'editMessageText',
        {
          chat_id: chatId,
          message_id: messageId,
          text: await decidedCardText(data, names.lookup, now()),
          reply_markup: { inline_keyboard: buttons.map((b) => [{ text: b.label, callback_data: b.value }]) },
        },
        callSignal(timeoutMs),
      );
    } catch (err) {
      if (!isNotModified(err))
        log.warn(
          { ref: data.request.ref, err: { message: (err as Error).message } },
          'staff card edit failed',
        );
    }
  };

  /** The card's data as it stands now, with `request` refreshed after a decision. */
  const refreshed = async (data: CardData): Promise<CardData> => {
    const request = await ctx.models.PrivacyRequest.findOne({ ref: data.request.ref }).lean<PrivacyRequest>();
    return request ? { ...data, request } : data;
  };

  /** A press on a request no longer waiting: nothing changes; the card catches up. */
  const alreadyDecided = async (press: Pick<Press, 'chatId' | 'cardMessageId'>, data: CardData) => {
    await editCard(press.chatId, press.cardMessageId, data);
    const d = data.request.decision;
    if (d?.outcome && d.by) {
      const name = await names.lookup(d.by);
      const who = name ? `${name} (${d.by})` : d.by;
      return STAFF_CHAT_TEXTS.alreadyDecided(who, d.outcome === 'approved' ? 'disetujui' : 'ditolak');
    }
    return STAFF_CHAT_TEXTS.noDecisionNeeded(data.request.ref, statusLabel(data.request.status));
  };

  const raceLost = (err: unknown) =>
    err instanceof RequestError && (err.code === 'ALREADY_DECIDED' || err.code === 'ILLEGAL_TRANSITION');

  async function approve(press: Press, data: CardData): Promise<string> {
    const actor = telegramStaffActor(String(press.from.id));
    try {
      await deps.requests.decide({ ref: press.ref, outcome: 'approved', staff: actor });
    } catch (err) {
      if (raceLost(err)) return alreadyDecided(press, await refreshed(data));
      throw err;
    }
    log.info({ ref: press.ref, staffTag: logTag(actor) }, 'request approved in the staff chat');
    await editCard(press.chatId, press.cardMessageId, await refreshed(data));
    return STAFF_CHAT_TEXTS.approved(press.ref);
  }

  async function askReason(press: Press): Promise<string> {
    const name = (press.from.first_name ?? press.from.username ?? 'Staf').slice(0, 64);
    const text = STAFF_CHAT_TEXTS.askReason(name, press.ref, Math.max(1, Math.round(reasonTtl / 60)));
    const asked = await tg.callApi(
      'sendMessage',
      {
        chat_id: press.chatId,
        text,
        // Mentioning the presser makes force_reply `selective`: only their keyboard opens.
        entities: [
          {
            type: 'text_mention',
            offset: 0,
            length: name.length,
            user: { id: press.from.id, is_bot: false, first_name: press.from.first_name ?? name },
          },
        ],
        reply_markup: { force_reply: true, selective: true, input_field_placeholder: 'Alasan penolakan' },
        ...(press.cardMessageId
          ? { reply_parameters: { message_id: press.cardMessageId, allow_sending_without_reply: true } }
          : {}),
      },
      callSignal(timeoutMs),
    );
    await pending.save({
      ref: press.ref,
      userId: String(press.from.id),
      chatId: press.chatId,
      promptMessageId: asked.message_id,
      ...(press.cardMessageId !== undefined ? { cardMessageId: press.cardMessageId } : {}),
      askedAt: now().getTime(),
    });
    return STAFF_CHAT_TEXTS.askReasonAnswer(press.ref);
  }

  async function detail(press: Press, data: CardData): Promise<string> {
    const actor = telegramStaffActor(String(press.from.id));
    await reply(press.chatId, await requestDetailText(ctx, data, now()), press.cardMessageId);
    await recordAudit(ctx, {
      actor,
      action: 'staff.viewed_detail',
      ref: press.ref,
      customerId: data.request.customerId ?? null,
      idempotencyKey: `staff:detail:${press.id}`,
      details: { via: 'telegram', masked: true },
    });
    return STAFF_CHAT_TEXTS.detailSent(press.ref);
  }

  async function onPress(cb: NonNullable<z.infer<typeof staffUpdateSchema>['callback_query']>) {
    const parsed = parseStaffCallbackData(cb.data);
    if (!parsed || !cb.message) return undefined;
    const press: Press = {
      id: cb.id,
      from: cb.from,
      chatId: String(cb.message.chat.id),
      cardMessageId: cb.message.message_id,
      ...parsed,
    };
    const userId = String(cb.from.id);
    const actor = telegramStaffActor(userId);

    if (!(await allowlist.allows(userId))) {
      const request = await ctx.models.PrivacyRequest.findOne(
        { ref: press.ref },
        { customerId: 1, status: 1 },
      ).lean();
      await recordAudit(ctx, {
        actor,
        action: 'staff.denied',
        ref: press.ref,
        customerId: request?.customerId ?? null,
        // One event per press, and a redelivered press writes nothing new.
        idempotencyKey: `staff:denied:${cb.id}`,
        details: { via: 'telegram', button: press.action, status: request?.status ?? 'unknown' },
      });
      log.warn(
        { ref: press.ref, action: press.action, userTag: logTag(actor) },
        'staff chat press refused: not on the allowlist',
      );
      return STAFF_CHAT_TEXTS.notAllowed;
    }
    await names.remember(userId, cb.from);

    const data = await loadCardData(ctx, press.ref);
    if (!data) return STAFF_CHAT_TEXTS.notFound(press.ref);
    if (press.action === 'detail') return detail(press, data);
    if (data.request.status !== 'pending_approval') return alreadyDecided(press, data);
    return press.action === 'approve' ? approve(press, data) : askReason(press);
  }

  async function rejectWithReason(msg: StaffMessage, from: StaffUser, p: PendingReason): Promise<void> {
    const actor = telegramStaffActor(String(from.id));
    const text = (msg.text ?? '').trim();
    if (/^\/?(batal|cancel)(@\w+)?$/i.test(text)) {
      await pending.clear(p);
      await reply(p.chatId, STAFF_CHAT_TEXTS.reasonCancelled(p.ref), msg.message_id);
      return;
    }
    if (!text || text.startsWith('/')) {
      await reply(p.chatId, STAFF_CHAT_TEXTS.reasonNotText, msg.message_id);
      return;
    }
    if (text.length > MAX_REASON) {
      await reply(p.chatId, STAFF_CHAT_TEXTS.reasonTooLong(text.length, MAX_REASON), msg.message_id);
      return;
    }
    const data = await loadCardData(ctx, p.ref);
    if (!data) {
      await pending.clear(p);
      await reply(p.chatId, STAFF_CHAT_TEXTS.notFound(p.ref), msg.message_id);
      return;
    }
    const card = {
      chatId: p.chatId,
      ...(p.cardMessageId !== undefined ? { cardMessageId: p.cardMessageId } : {}),
    };
    try {
      await deps.requests.decide({ ref: p.ref, outcome: 'rejected', staff: actor, reason: text });
    } catch (err) {
      if (!raceLost(err)) throw err;
      await pending.clear(p);
      await reply(p.chatId, await alreadyDecided(card, await refreshed(data)), msg.message_id);
      return;
    }
    await pending.clear(p);
    log.info(
      { ref: p.ref, staffTag: logTag(actor), reasonLength: text.length },
      'request rejected in the staff chat',
    );
    await editCard(p.chatId, p.cardMessageId, await refreshed(data));
    await reply(p.chatId, STAFF_CHAT_TEXTS.rejected(p.ref), msg.message_id);
  }

  async function onMessage(msg: StaffMessage): Promise<void> {
    const from = msg.from;
    if (!from || from.is_bot) return;
    const userId = String(from.id);
    const p = await pending.find(String(msg.chat.id), userId, msg.reply_to_message?.message_id);
    if (!p) return;
    // Checked again: the allowlist may have changed since the question (a console link removed).
    if (!(await allowlist.allows(userId))) {
      await pending.clear(p);
      return;
    }
    await names.remember(userId, from);
    await rejectWithReason(msg, from, p);
  }

  return {
    async handle(update: TelegramUpdate): Promise<StaffUpdateResult | undefined> {
      const parsed = staffUpdateSchema.safeParse(update);
      if (!parsed.success) return undefined;
      const { callback_query: cb, message } = parsed.data;
      if (cb) {
        const callbackText = await onPress(cb);
        return callbackText ? { callbackText } : undefined;
      }
      if (message) await onMessage(message);
      return undefined;
    },
  };
}

/**
 * Hooks the staff chat into the gateway's Telegram adapter when a staff chat is configured.
 * Call before the adapter starts, so no early press is dropped.
 */
export function attachTelegramStaffChat(
  ctx: AppContext,
  adapter: ChannelAdapter | undefined,
  requests: Pick<RequestService, 'decide'>,
): TelegramStaffChat | undefined {
  if (!(adapter instanceof TelegramAdapter) || !ctx.config.telegram.staffChatId) return undefined;
  if (ctx.config.telegram.staffUserIds.length === 0)
    ctx.logger.warn(
      { component: 'staff-chat' },
      'TELEGRAM_STAFF_USER_IDS is empty: only console accounts linked to Telegram can decide in the staff chat',
    );
  const chat = createTelegramStaffChat(ctx, { telegram: adapter.telegram, requests });
  adapter.setStaffHandler((update) => chat.handle(update));
  return chat;
}
