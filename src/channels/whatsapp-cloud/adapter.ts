import type { Redis } from 'ioredis';
import { logTag } from '../../logging/logger.js';
import type { ChannelDeps } from '../registry.js';
import {
  type ChannelAdapter,
  type ChannelHealth,
  type ChannelHooks,
  ChannelSendError,
  type InboundHandler,
  type OutboundMessage,
  type SendContext,
  type SendResult,
} from '../types.js';
import {
  CHANNEL,
  codeIn,
  codeTemplate,
  flatParameter,
  marketingTemplate,
  TEMPLATE_PARAMETER_MAX,
  toCloudCalls,
  toInboundMessage,
  utilityTemplate,
} from './convert.js';
import { channelCodeOf, scrubbed } from './errors.js';
import { createGraphClient, type GraphClient } from './graph.js';
import type { CloudSettings } from './settings.js';
import { eventsKey, rememberSent, sentRecordOf, windowIsOpen } from './store.js';
import type { CloudEvent, CloudMessage, CloudStatus } from './webhook.js';

/** Tries of one event before it is dropped (logged). */
const MAX_EVENT_ATTEMPTS = 3;

/**
 * The official WhatsApp Business Cloud API. Receives the events the webhook route queued in Redis
 * (one at a time, in order), sends through the Graph API. Outside the customer's 24-hour window
 * only approved templates go: request notices and deadline notices as utility templates,
 * promotions as the marketing template (when one is set), codes always as the authentication
 * template; anything else is refused as WINDOW_CLOSED.
 */
export class WhatsAppCloudAdapter implements ChannelAdapter {
  readonly name = CHANNEL;
  private readonly graph: GraphClient;
  private reader: Redis | undefined;
  private loop: Promise<void> | undefined;
  private running = false;
  private stopped = false;
  private readonly log;

  constructor(
    private readonly ctx: ChannelDeps,
    private readonly settings: CloudSettings,
    graph?: GraphClient,
  ) {
    this.graph = graph ?? createGraphClient(settings);
    this.log = ctx.logger.child({ component: 'whatsapp-cloud' });
  }

  async start(onInbound: InboundHandler, hooks: ChannelHooks = {}): Promise<void> {
    this.running = true;
    // BLPOP blocks its connection: never on the shared one.
    const reader = this.ctx.redis.duplicate();
    this.reader = reader;
    this.loop = (async () => {
      while (this.running) {
        let popped: [string, string] | null = null;
        try {
          popped = await reader.blpop(eventsKey(this.ctx), 1);
        } catch (err) {
          if (!this.running) return;
          this.log.warn({ err: { message: (err as Error).message } }, 'whatsapp-cloud event read failed');
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        if (!popped) continue;
        const queued = JSON.parse(popped[1]) as CloudEvent & { attempts?: number };
        try {
          if (queued.kind === 'message') await this.onMessage(queued.message, onInbound);
          else await this.onStatus(queued.status, hooks);
        } catch (err) {
          const attempts = (queued.attempts ?? 0) + 1;
          const again = attempts < MAX_EVENT_ATTEMPTS;
          this.log.warn(
            { kind: queued.kind, attempts, err: { message: scrubbed((err as Error).message) } },
            again ? 'whatsapp-cloud event failed, tried again' : 'whatsapp-cloud event failed, given up',
          );
          // At the head: a chat's next message must not overtake this one.
          if (again) await this.ctx.redis.lpush(eventsKey(this.ctx), JSON.stringify({ ...queued, attempts }));
        }
      }
    })();
  }

  private async onMessage(message: CloudMessage, onInbound: InboundHandler): Promise<void> {
    const inbound = toInboundMessage(message);
    if (!inbound) {
      this.log.info(
        { type: message.type, chat: logTag(this.ctx.config.otp.secret, message.from) },
        'whatsapp-cloud message ignored: not text, button or contact',
      );
      return;
    }
    await onInbound(inbound);
  }

  /** `failed` statuses become dead letters through the gateway; the others are only counted in the log. */
  private async onStatus(status: CloudStatus, hooks: ChannelHooks): Promise<void> {
    if (status.status !== 'failed') {
      this.log.debug({ status: status.status }, 'whatsapp-cloud status');
      return;
    }
    const error = status.errors?.[0];
    const record = await sentRecordOf(this.ctx, status.id);
    const code = channelCodeOf(error?.code);
    this.log.warn(
      { graphCode: error?.code, code, purpose: record?.purpose, ref: record?.requestRef },
      'whatsapp-cloud message failed after it was accepted',
    );
    if (!hooks.onDeliveryFailed) {
      this.log.warn('whatsapp-cloud failed status dropped: no dead-letter hook');
      return;
    }
    await hooks.onDeliveryFailed({
      channel: CHANNEL,
      chatId: status.recipient_id,
      messageId: status.id,
      code,
      detail: scrubbed(
        `${error?.title ?? 'failed'}${error?.error_data?.details ? `: ${error.error_data.details}` : ''} (Graph API code ${error?.code ?? '?'})`,
      ),
      ...(error?.code !== undefined ? { platformCode: String(error.code) } : {}),
      messageKind: record?.kind ?? 'unknown',
      context: {
        ...(record?.purpose ? { purpose: record.purpose } : {}),
        ...(record?.requestRef ? { requestRef: record.requestRef } : {}),
        ...(record?.promoId ? { promoId: record.promoId } : {}),
      },
    });
  }

  async send(chatId: string, message: OutboundMessage, context: SendContext = {}): Promise<SendResult> {
    if (!/^\d{5,20}$/.test(chatId)) throw new ChannelSendError('BAD_REQUEST', 'not a WhatsApp number');
    const { templates } = this.settings;
    // Meta wants codes in an authentication template, inside the window or not.
    if (context.purpose === 'otp') {
      const text = 'text' in message ? message.text : '';
      const code = codeIn(text);
      if (!code) throw new ChannelSendError('BAD_REQUEST', 'no single code in the code message');
      return this.deliver(
        codeTemplate(chatId, templates.code, templates.language, code),
        message.kind,
        context,
      );
    }
    if (!(await windowIsOpen(this.ctx, chatId))) {
      if (context.purpose === 'promo') return this.sendPromotion(chatId, message, context);
      const template = context.requestRef
        ? context.purpose === 'notification'
          ? templates.requestUpdate
          : context.purpose === 'staff'
            ? templates.deadlineNotice
            : undefined
        : undefined;
      if (!template || !('text' in message))
        throw new ChannelSendError(
          'WINDOW_CLOSED',
          'outside the 24-hour customer-service window only approved templates may be sent',
        );
      return this.deliver(
        utilityTemplate(chatId, template, templates.language, context.requestRef ?? '', message.text),
        message.kind,
        context,
      );
    }
    let last: string | undefined;
    for (const call of toCloudCalls(chatId, message)) {
      if (call.kind === 'message') {
        last = (await this.deliver(call.body, message.kind, context)).messageId;
        continue;
      }
      // Documented: upload to /media, then send the document by the media id.
      const id = await this.graph.uploadMedia(call);
      const document = { id, filename: call.fileName, ...(call.caption ? { caption: call.caption } : {}) };
      last = (await this.deliver({ to: chatId, type: 'document', document }, message.kind, context))
        .messageId;
    }
    return last ? { messageId: last } : {};
  }

  /**
   * A promotion outside the window: Meta lets a business write first only with an approved
   * marketing template. Its one body parameter is the promotion as the customer would have read
   * it, stop line included, in one line; a promotion that does not fit is refused, never cut.
   * Known by the job's purpose, never by its text.
   */
  private async sendPromotion(
    chatId: string,
    message: OutboundMessage,
    context: SendContext,
  ): Promise<SendResult> {
    const { promotion, language } = this.settings.templates;
    if (!promotion || message.kind !== 'text')
      throw new ChannelSendError(
        'WINDOW_CLOSED',
        promotion
          ? 'outside the 24-hour customer-service window a promotion goes only as text in the marketing template'
          : 'outside the 24-hour customer-service window only approved templates may be sent (no marketing template: WHATSAPP_CLOUD_TEMPLATE_PROMOTION)',
      );
    const parameter = flatParameter(message.text);
    if (!parameter) throw new ChannelSendError('BAD_REQUEST', 'message text is empty');
    if (parameter.length > TEMPLATE_PARAMETER_MAX)
      throw new ChannelSendError(
        'BAD_REQUEST',
        `promotion too long for the marketing template outside the 24-hour window: ${parameter.length} characters in one line, the template's parameter takes at most ${TEMPLATE_PARAMETER_MAX} (Meta: a template body holds 1024)`,
      );
    return this.deliver(marketingTemplate(chatId, promotion, language, parameter), message.kind, context);
  }

  private async deliver(
    body: Record<string, unknown>,
    kind: string,
    context: SendContext,
  ): Promise<SendResult> {
    const wamid = await this.graph.sendMessage(body);
    // Only these three: the job's meta also holds keys built from the chat id.
    await rememberSent(this.ctx, wamid, {
      kind,
      ...(context.purpose ? { purpose: context.purpose } : {}),
      ...(context.requestRef ? { requestRef: context.requestRef } : {}),
      ...(context.promoId ? { promoId: context.promoId } : {}),
    });
    return { messageId: wamid };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    await this.loop;
    this.reader?.disconnect();
  }

  health(): ChannelHealth {
    // Stateless HTTPS: nothing to hold, so a send-only adapter (the worker role's) is healthy too;
    // a Graph API outage shows as send failures.
    if (this.stopped) return { ok: false, state: 'stopped' };
    return { ok: true, state: this.running ? 'webhook' : 'send-only' };
  }
}
