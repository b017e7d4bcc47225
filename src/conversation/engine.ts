import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Button, InboundMessage, OutboundMessage } from '../channels/types.js';
import type { Config } from '../config/index.js';
import { latestPromoOfChat, PROMO_REPLY_WINDOW_MS, promoOfReply } from '../promo/index.js';
import {
  type ChatMeta,
  type Session,
  SessionStore,
  type SessionStoreDeps,
} from '../sessions/session-store.js';
import { type ActionApp, actionsByName, type EngineDeps } from './actions/index.js';
import type { FlowCatalog, LoadedFlows } from './flow-loader.js';
import type { Flow, Step } from './flow-schema.js';
import { INPUT_TEXTS, validateInput } from './inputs.js';
import {
  createIntentRecogniser,
  type Decision,
  guessLanguage,
  type IntentRecogniser,
  type Lexicon,
} from './intents/index.js';
import { createKeywordRouter, type GlobalCommand, type KeywordRouter, normalizeWords } from './keywords.js';
import { isLocale, type Locale, type Translate, translator } from './locales.js';

export const MAX_TEXT_LENGTH = 4096;
/** Steps one message may run through; more means a loop in a flow file. */
const MAX_TRANSITIONS = 40;

const ENGINE_TEXTS = [
  'engine.welcome',
  'engine.expired',
  'engine.not_understood',
  'engine.menu_expired',
  'engine.cancelled',
  'engine.nothing_to_cancel',
  'engine.too_long',
  'engine.only_text',
  'engine.choose_again',
  'engine.confirm_again',
  'engine.language_set',
  'engine.error',
  'engine.yes',
  'engine.no',
  'consent.opted_out',
  'verify.contact_not_yours',
  ...INPUT_TEXTS,
] as const;

export const REQUIRED_FLOWS = [
  'menu',
  'verify',
  'access',
  'update',
  'delete',
  'unsubscribe',
  'subscribe',
  'status',
  'help',
  'policy',
] as const;

export function flowCatalog(): FlowCatalog {
  return {
    actions: new Map([...actionsByName].map(([name, a]) => [name, { outcomes: a.outcomes, texts: a.texts }])),
    engineTexts: ENGINE_TEXTS,
    requiredFlows: REQUIRED_FLOWS,
  };
}

/** The edge: whatever an adapter hands in is checked before anything reads it. */
const inboundSchema = z.object({
  channel: z.string().min(1).max(32),
  chatId: z.string().min(1).max(128),
  messageId: z.string().min(1).max(128),
  messageKey: z.string().min(1).max(300),
  senderId: z.string().max(128),
  text: z.string().optional(),
  action: z.object({ value: z.string().max(256), sourceMessageId: z.string().optional() }).optional(),
  contact: z.object({ phone: z.string().max(64), userId: z.string().max(64).optional() }).optional(),
  senderPhone: z.string().max(32).optional(),
});

const YES = new Set([
  'ya',
  'y',
  'yes',
  'iya',
  'ok',
  'oke',
  'okay',
  'benar',
  'betul',
  'setuju',
  'lanjut',
  // The access and opt-out questions end "Lanjutkan?" / "Continue?": the word is the answer there,
  // not the resume flow's keyword (which dropped the request being confirmed).
  'lanjutkan',
  'continue',
  'yep',
  'yeah',
  'sure',
  'boleh',
  '1',
]);
const NO = new Set([
  'tidak',
  'no',
  'n',
  'gak',
  'ga',
  'gk',
  'nggak',
  'ngga',
  'enggak',
  'tdk',
  'bukan',
  'jangan',
  'nope',
  '2',
]);
/** Words that soften a yes or a no without changing it: "yes please", "iya kak", "no thanks". */
const SOFTENERS = new Set([
  'please',
  'thanks',
  'thank',
  'you',
  'terima',
  'kasih',
  'makasih',
  'dong',
  'deh',
  'aja',
  'saja',
  'sih',
  'kak',
  'min',
]);
/**
 * Words that make a no an idiom: "tidak jadi" (never mind), "gak usah", "tidak perlu". Not "mau":
 * "tidak mau" answering "stop promotions?" may refuse the promotions rather than the stopping.
 */
const NO_IDIOMS = new Set(['jadi', 'usah', 'perlu']);

/**
 * The answer to a yes/no question: one word of YES or NO, or a short answer made only of such words
 * and softeners ("iya benar", "yes please", "tidak jadi", "gak usah deh"). Anything else (a mix of
 * yes and no, a sentence) is no answer and is read for what it asks instead.
 */
function yesOrNo(words: string): 'yes' | 'no' | undefined {
  if (YES.has(words)) return 'yes';
  if (NO.has(words)) return 'no';
  const parts = words.split(' ');
  if (parts.length > 4) return undefined;
  const only = (set: Set<string>, extra?: Set<string>) =>
    parts.some((w) => set.has(w)) && parts.every((w) => set.has(w) || SOFTENERS.has(w) || extra?.has(w));
  if (only(YES)) return 'yes';
  if (only(NO, NO_IDIOMS)) return 'no';
  return undefined;
}
// Control characters except tab and newline; they have no place in a chat answer.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200F\u202A-\u202E\u2066-\u2069]/g;

const nonce = () => randomBytes(3).toString('base64url');

/**
 * What the engine reads of the app: what its actions do, the session store's Redis (when it is not
 * given one), and of the settings the opt-out and opt-in words, the default language and the
 * business's details (the texts quote them).
 */
export type EngineApp = ActionApp &
  SessionStoreDeps & {
    config: Pick<Config, 'defaultLocale' | 'business'> & {
      conversation: Pick<Config['conversation'], 'optOutWords' | 'optInWords'>;
    };
  };

export class ConversationEngine {
  private readonly store: SessionStore;
  private readonly router: KeywordRouter;
  private readonly flowKeywords = new Map<string, Flow>();
  /** Sentences understood by flows/intents.yaml (absent only when a test passes no lexicon). */
  private readonly intents: IntentRecogniser | undefined;
  /** Flow id → the text saying what was understood, for flows started by a keyword. */
  private readonly understood = new Map<string, string>();
  /** Tail of each chat's work: messages of one chat run in order, different chats in parallel. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    readonly app: EngineApp,
    readonly deps: EngineDeps,
    readonly loaded: LoadedFlows,
  ) {
    this.store = deps.sessions ?? new SessionStore(app);
    this.router = createKeywordRouter(
      app.config.conversation.optOutWords,
      app.config.conversation.optInWords,
    );
    for (const flow of loaded.flows.values()) {
      for (const word of [...(flow.keywords?.id ?? []), ...(flow.keywords?.en ?? [])]) {
        this.flowKeywords.set(normalizeWords(word), flow);
      }
    }
    this.intents = loaded.lexicon ? createIntentRecogniser(loaded.lexicon, app.logger) : undefined;
    for (const intent of loaded.lexicon?.intents ?? []) {
      if (intent.understood && !this.understood.has(intent.flow))
        this.understood.set(intent.flow, intent.understood);
    }
  }

  /** One inbound message in, the replies out. Never throws: a failure becomes a polite sentence. */
  handle(inbound: InboundMessage): Promise<OutboundMessage[]> {
    const key = `${inbound.channel}\n${inbound.chatId}`;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.turn(inbound));
    const tail = run.catch(() => {});
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  private async turn(inbound: InboundMessage): Promise<OutboundMessage[]> {
    const parsed = inboundSchema.safeParse(inbound);
    if (!parsed.success) {
      this.app.logger.warn(
        { channel: String(inbound?.channel).slice(0, 32) },
        'malformed inbound message dropped',
      );
      return [];
    }
    if (inbound.isGroup) return [];
    const { channel, chatId } = inbound;
    const { first, session, meta, lastSentAt } = await this.store.begin(inbound);
    if (!first) return [];
    const locale: Locale =
      meta?.locale ?? initialLocale(inbound, this.app.config.defaultLocale, this.loaded.lexicon);
    const turn = new Turn(this, inbound, session, meta ?? { locale, inFlow: false }, !meta, lastSentAt);
    try {
      await turn.run();
    } catch (err) {
      this.app.logger.error(
        { err: { message: (err as Error).message, name: (err as Error).name }, channel },
        'conversation turn failed',
      );
      turn.say('engine.error');
      // The step is not advanced: the customer can answer again once the system is back.
      await this.store
        .save(channel, chatId, session, { ...turn.meta, repliedAt: Date.now() })
        .catch(() => {});
      return turn.out;
    }
    await this.store.save(channel, chatId, turn.session, {
      ...turn.meta,
      inFlow: turn.session !== undefined,
      ...(turn.out.length > 0 ? { repliedAt: Date.now() } : {}),
    });
    return turn.out;
  }

  flowKeyword(words: string): { flow: Flow; arg?: string } | undefined {
    const [first = '', ...rest] = words.split(' ');
    const whole = this.flowKeywords.get(words);
    if (whole) return { flow: whole };
    const flow = this.flowKeywords.get(first);
    return flow ? { flow, ...(rest[0] ? { arg: rest[0] } : {}) } : undefined;
  }

  command(text: string): GlobalCommand | undefined {
    return this.router.command(text);
  }

  recognise(text: string, channel: string): Decision | undefined {
    return this.intents?.recognise(text, { channel });
  }

  understoodFor(flowId: string): string | undefined {
    return this.understood.get(flowId);
  }
}

/** A new chat's language: the platform's hint, else the first message's own words, else the default. */
function initialLocale(inbound: InboundMessage, fallback: Locale, lexicon: Lexicon | undefined): Locale {
  const hint = inbound.languageHint?.slice(0, 2);
  if (hint === 'en' || hint === 'id') return hint;
  const written =
    lexicon && inbound.text ? guessLanguage(inbound.text.slice(0, MAX_TEXT_LENGTH), lexicon) : undefined;
  return written ?? fallback;
}

/** One message's work: reads the state, runs steps until the bot waits for an answer. */
class Turn {
  readonly out: OutboundMessage[] = [];
  private transitions = 0;
  private t: Translate;
  /** What was understood, said in front of the flow's first message (set when a flow starts from text). */
  private preface: string | undefined;
  /** The promotion a "cancel" revoked, found by the engine (quoted, or the chat's latest message). */
  private revokedPromo: { promoId: string; customerId: string } | undefined;

  constructor(
    private readonly engine: ConversationEngine,
    private readonly inbound: InboundMessage,
    public session: Session | undefined,
    public meta: ChatMeta,
    private readonly firstContact: boolean,
    /** When the outbound worker last sent the chat a message that was not a promotion (epoch ms). */
    private readonly lastSentAt: number | undefined,
  ) {
    this.t = this.makeTranslator();
  }

  private makeTranslator(): Translate {
    const business = this.engine.app.config.business;
    const base = {
      businessName: business.name,
      businessPhone: business.phone,
      businessEmail: business.email,
      businessWebsite: business.website,
    };
    const t = translator(this.engine.loaded.locales, this.meta.locale, base);
    return (key, vars) => t(key, { ...this.session?.vars, ...vars });
  }

  say(key: string, vars?: Record<string, string>): void {
    this.emit({ kind: 'text', text: this.t(key, vars) });
  }

  /** Every reply goes out here, so a pending preface leads the first one ("Baik, Anda ingin …"). */
  private emit(message: OutboundMessage): void {
    const preface = this.preface;
    this.preface = undefined;
    if (preface && message.kind !== 'document') {
      this.out.push({ ...message, text: `${preface} ${message.text}` });
      return;
    }
    if (preface) this.out.push({ kind: 'text', text: preface });
    this.out.push(message);
  }

  async run(): Promise<void> {
    const raw = this.inbound.text ?? '';
    if (raw.length > MAX_TEXT_LENGTH) {
      this.say('engine.too_long', { max: String(MAX_TEXT_LENGTH) });
      return;
    }
    const text = raw.replace(CONTROL, '').trim();
    let command = text ? this.engine.command(text) : undefined;
    // "cancel" answering a promotion is one of the FCC's revocation words: STOP, not "nothing to cancel".
    if (command === 'cancel' && (await this.cancelRevokes())) command = 'opt_out';
    // A sentence that is not a command nor a button is read for what it asks (flows/intents.yaml).
    const decision =
      text && !command && !this.inbound.action
        ? this.engine.recognise(text, this.inbound.channel)
        : undefined;
    const optOutNow = decision?.intent === 'opt_out' && decision.confidence === 'clear';
    // A first STOP gets its one confirmation and nothing else.
    if (this.firstContact && command !== 'opt_out' && !optOutNow) this.say('engine.welcome');
    if (command) return this.runCommand(command, text);

    if (this.inbound.action) return this.onButton(this.inbound.action.value);
    // A clear revocation in words is STOP: at once, from any step, the flow left as it was.
    if (optOutNow && decision) return this.optOutInWords(decision);
    if (!text && !this.inbound.contact) {
      this.say('engine.only_text');
      return;
    }
    const step = this.currentStep();
    if (step && this.session) return this.answer(step, text, decision);

    if (decision && (await this.startIntent(decision, text))) return;
    const words = normalizeWords(text);
    const keyword = this.engine.flowKeyword(words);
    if (keyword)
      return this.startFlow(keyword.flow.id, keyword.arg, this.engine.understoodFor(keyword.flow.id));
    if (this.meta.inFlow) {
      this.meta.inFlow = false;
      this.say('engine.expired');
    } else if (!this.firstContact) {
      this.say('engine.not_understood');
    }
    await this.startFlow('menu');
  }

  /**
   * Whether a "cancel" (batal, batalkan, /cancel) answers a promotion, and so revokes consent: it
   * quotes one; or it quotes nothing, nothing is in progress to cancel, and the bot's latest message
   * to the chat was a promotion of the last day (WhatsApp and Telegram users rarely quote). A flow in
   * progress is what a bare "cancel" cancels; a quote of another message says what it answers.
   * The decision is logged with its rule, as the recogniser's are.
   */
  private async cancelRevokes(): Promise<boolean> {
    const { app } = this.engine;
    const decided = (rule: string, promo?: { promoId: string; customerId: string }): boolean => {
      const revokes = promo !== undefined;
      app.logger.info(
        { channel: this.inbound.channel, intent: revokes ? 'opt_out' : 'cancel', confidence: 'clear', rule },
        'intent decision',
      );
      this.revokedPromo = promo;
      return revokes;
    };
    if (this.inbound.replyToMessageId) {
      const quoted = await promoOfReply(app, this.inbound);
      return decided(quoted ? 'cancel.quotes_promo' : 'cancel.quotes_other', quoted);
    }
    if (this.session && this.session.flow !== 'menu') return decided('cancel.flow');
    // Sent within the window, after the conversation last answered and after any other message the
    // bot sent the chat (a request's outcome, a notice: lastSentAt): the bot's latest message.
    const after = Math.max(
      Date.now() - PROMO_REPLY_WINDOW_MS,
      this.meta.repliedAt ?? 0,
      this.lastSentAt ?? 0,
    );
    const latest = await latestPromoOfChat(app, this.inbound, new Date(after));
    return decided(latest ? 'cancel.after_promo' : 'cancel.no_recent_promo', latest);
  }

  private async runCommand(command: GlobalCommand, text: string): Promise<void> {
    switch (command) {
      case 'opt_out': {
        // Always wins, whatever the chat was doing; the flow in progress is left as it was.
        const action = actionsByName.get('consent.opt_out');
        if (!action) throw new Error('consent.opt_out is not registered');
        const call = this.actionCall({});
        const result = await action.run(
          this.revokedPromo ? { ...call, revokedPromo: this.revokedPromo } : call,
        );
        this.say('consent.opted_out', result.vars);
        return;
      }
      case 'opt_in':
        this.session = undefined;
        return this.startFlow('subscribe');
      case 'menu':
        this.session = undefined;
        return this.startFlow('menu');
      case 'cancel':
        // Resting in the menu is not a process to cancel.
        this.say(
          this.session && this.session.flow !== 'menu' ? 'engine.cancelled' : 'engine.nothing_to_cancel',
        );
        this.session = undefined;
        return this.startFlow('menu');
      case 'help':
        this.session = undefined;
        return this.startFlow('help');
      case 'language': {
        const words = normalizeWords(text);
        this.meta.locale =
          words === 'english'
            ? 'en'
            : words === 'bahasa indonesia'
              ? 'id'
              : this.meta.locale === 'id'
                ? 'en'
                : 'id';
        this.t = this.makeTranslator();
        this.say('engine.language_set');
        const step = this.currentStep();
        if (step && this.session) return this.prompt(step, true);
        return this.startFlow('menu');
      }
    }
  }

  private async optOutInWords(decision: Decision): Promise<void> {
    await this.runCommand('opt_out', '');
    // Another right asked in the same message ("… dan hapus data saya") starts after the
    // confirmation, unless a flow is waiting for an answer: STOP leaves that flow as it was.
    if (!decision.also) return;
    const resting = !this.session || this.session.flow === 'menu';
    if (resting) {
      await this.startIntent(decision.also, '');
      return;
    }
    this.engine.app.logger.info(
      { channel: this.inbound.channel, intent: decision.also.intent, flow: this.session?.flow },
      'second intent not started: the chat is answering another flow',
    );
  }

  /** Starts what a sentence asked for; false when it asked for nothing a flow does. */
  private async startIntent(
    decision: Pick<Decision, 'flow' | 'understood' | 'field'> & { intent: string },
    text: string,
  ): Promise<boolean> {
    if (decision.intent === 'none' || !decision.flow) return false;
    const vars: Record<string, string> = {};
    if (decision.field) vars.field = decision.field;
    if (decision.intent === 'opt_out') {
      // Asked once: the answer "ya" must still carry the proof of the sentence (and the promo it replied to).
      vars.optOutWords = text.slice(0, 100);
      vars.optOutMessageId = this.inbound.messageId;
      if (this.inbound.replyToMessageId) vars.optOutReplyTo = this.inbound.replyToMessageId;
    }
    // `status PR-7K3M9Q`: the keyword's argument, when the keyword names the same flow.
    const keyword = text ? this.engine.flowKeyword(normalizeWords(text)) : undefined;
    const arg = keyword?.flow.id === decision.flow ? keyword.arg : undefined;
    await this.startFlow(decision.flow, arg, decision.understood, vars);
    return true;
  }

  private currentStep(): Step | undefined {
    if (!this.session) return undefined;
    return this.engine.loaded.flows.get(this.session.flow)?.steps[this.session.step];
  }

  private actionCall(args: Record<string, string | number | boolean>) {
    const session = this.session ?? { flow: '', step: '', vars: {}, stack: [], prompt: '' };
    return {
      app: this.engine.app,
      deps: this.engine.deps,
      inbound: this.inbound,
      session,
      locale: this.meta.locale,
      args,
      t: this.t,
    };
  }

  private async startFlow(
    flowId: string,
    arg?: string,
    understood?: string,
    preset: Record<string, string> = {},
  ): Promise<void> {
    const flow = this.engine.loaded.flows.get(flowId);
    if (!flow) throw new Error(`unknown flow ${flowId}`);
    const vars: Record<string, string> = { ...preset };
    this.preface = understood ? this.t(understood) : undefined;
    // Identity carried across flows within one session (and the keyword's argument).
    for (const keep of ['customerId'] as const) {
      const value = this.session?.vars[keep];
      if (value) vars[keep] = value;
    }
    if (arg && flow.keywordArg) vars[flow.keywordArg] = arg;
    this.session = { flow: flowId, step: flow.start, vars, stack: [], prompt: '' };
    await this.enter(flowId, flow.start);
  }

  /** Runs steps from here until one waits for the customer or the conversation ends. */
  private async enter(flowId: string, stepId: string): Promise<void> {
    if (++this.transitions > MAX_TRANSITIONS) throw new Error(`flow ${flowId} loops at ${stepId}`);
    const flow = this.engine.loaded.flows.get(flowId);
    const step = flow?.steps[stepId];
    if (!flow || !step || !this.session) throw new Error(`no step ${flowId}.${stepId}`);
    this.session.flow = flowId;
    this.session.step = stepId;
    switch (step.type) {
      case 'say':
        this.say(step.text);
        return this.go(step.next);
      case 'ask':
      case 'choose':
      case 'confirm':
        return this.prompt(step);
      case 'action': {
        const action = actionsByName.get(step.action);
        if (!action) throw new Error(`unknown action ${step.action}`);
        const result = await action.run(this.actionCall(step.args ?? {}));
        Object.assign(this.session.vars, result.vars);
        for (const message of result.messages ?? []) this.emit(message);
        const target = step.on[result.outcome];
        if (!target) throw new Error(`${step.action} returned unmapped outcome ${result.outcome}`);
        return this.go(target);
      }
      case 'call': {
        this.session.stack.push({ flow: flowId, next: step.next });
        const called = this.engine.loaded.flows.get(step.flow);
        if (!called) throw new Error(`unknown flow ${step.flow}`);
        return this.enter(step.flow, called.start);
      }
      case 'goto':
        return this.go(step.to);
      case 'end':
        if (step.text) this.say(step.text);
        if (step.abort) this.session.stack = [];
        return this.finish(step.menu === true);
    }
  }

  private async go(target: string): Promise<void> {
    if (!this.session) return;
    if (target === 'end') return this.finish(false);
    if (target.startsWith('flow:')) {
      const flowId = target.slice(5);
      const flow = this.engine.loaded.flows.get(flowId);
      if (!flow) throw new Error(`unknown flow ${flowId}`);
      return this.enter(flowId, flow.start);
    }
    return this.enter(this.session.flow, target);
  }

  /** A flow ended: back to the flow that called it, or the conversation rests. */
  private async finish(showMenu: boolean): Promise<void> {
    const caller = this.session?.stack.pop();
    if (caller && this.session) return this.enter(caller.flow, caller.next);
    const keep = this.session?.vars;
    this.session = undefined;
    if (showMenu) {
      await this.startFlow('menu');
      if (this.session && keep?.customerId) (this.session as Session).vars.customerId = keep.customerId;
    }
  }

  /** Asks the current question again (or for the first time), with buttons carrying a fresh prompt id. */
  /** Puts the step's question; `again` when it was put already (the ask step's `again` text, if any). */
  private prompt(step: Step, again = false): void {
    if (!this.session) return;
    const id = nonce();
    this.session.prompt = id;
    const key =
      again && step.type === 'ask' && step.again ? step.again : 'text' in step ? step.text : undefined;
    const text = key ? this.t(key) : '';
    if (step.type === 'choose') {
      this.emit({
        kind: 'buttons',
        text,
        buttons: step.options.map((o, i) => button(id, String(i), this.t(o.label))),
      });
    } else if (step.type === 'confirm') {
      this.emit({
        kind: 'buttons',
        text,
        buttons: [button(id, 'yes', this.t('engine.yes')), button(id, 'no', this.t('engine.no'))],
      });
    } else if (step.type === 'ask' && step.contactButton) {
      this.emit({ kind: 'contact_request', text, buttonLabel: this.t(step.contactButton) });
    } else if (step.type === 'ask' && step.shortcuts?.length) {
      this.emit({
        kind: 'buttons',
        text,
        buttons: step.shortcuts.map((s, i) => button(id, `s${i}`, this.t(s.label))),
      });
    } else {
      this.emit({ kind: 'text', text });
    }
  }

  private async onButton(value: string): Promise<void> {
    const [promptId, choice = ''] = value.split(':');
    const step = this.currentStep();
    if (!step || !this.session || promptId !== this.session.prompt) {
      this.say('engine.menu_expired');
      if (step && this.session) return this.prompt(step, true);
      this.session = undefined;
      return this.startFlow('menu');
    }
    if (step.type === 'choose') {
      const option = step.options[Number(choice)];
      if (option) return this.choose(option);
    } else if (step.type === 'confirm') {
      if (choice === 'yes') return this.go(step.yes);
      if (choice === 'no') return this.go(step.no);
    } else if (step.type === 'ask' && choice.startsWith('s')) {
      const shortcut = step.shortcuts?.[Number(choice.slice(1))];
      if (shortcut) return this.go(shortcut.next);
    }
    this.say('engine.menu_expired');
    return this.prompt(step, true);
  }

  private async choose(option: { next: string; set?: Record<string, string> | undefined }): Promise<void> {
    if (this.session && option.set) Object.assign(this.session.vars, option.set);
    return this.go(option.next);
  }

  /** Typed text (or a shared contact) answering the step the chat waits on. */
  private async answer(step: Step, text: string, decision?: Decision): Promise<void> {
    if (!this.session) return;
    const words = normalizeWords(text);
    switch (step.type) {
      case 'ask': {
        const shortcut = step.shortcuts?.find((s) => normalizeWords(this.t(s.label)) === words);
        if (shortcut && words) return this.go(shortcut.next);
        let raw = text;
        if (this.inbound.contact && step.input === 'phone') {
          const { userId } = this.inbound.contact;
          // A forwarded contact card is someone else's number: only the sender's own counts
          // (a card whose owner the platform does not know is refused too).
          if (userId !== this.inbound.senderId) {
            this.say('verify.contact_not_yours');
            return this.prompt(step, true);
          }
          raw = this.inbound.contact.phone;
        }
        const result = validateInput(step.input, raw);
        if (!result.ok) {
          // Not an answer but a sentence asking something else ("berapa harga sedot wc?" when the
          // phone number was asked): what it asks, as at the other steps, not the question again.
          if (decision && (await this.startIntent(decision, text))) return;
          // A flow's keyword ("hapus" when the phone number is asked) starts it, as at the other steps,
          // but only as the whole message: an answer that merely begins with one ("pagi kak, nomor
          // saya 0812…", a greeting being the menu's) is a failed answer, not a wish to leave.
          const keyword = this.engine.flowKeyword(words);
          if (keyword && keyword.arg === undefined)
            return this.startFlow(keyword.flow.id, undefined, this.engine.understoodFor(keyword.flow.id));
          this.say(step.invalid ?? result.reason);
          return;
        }
        this.session.vars[step.save] = result.value;
        return this.go(step.next);
      }
      case 'choose': {
        const index = /^\d{1,2}$/.test(words) ? Number(words) - 1 : -1;
        const option =
          step.options[index] ?? step.options.find((o) => normalizeWords(this.t(o.label)) === words);
        if (option) return this.choose(option);
        break;
      }
      case 'confirm': {
        const answer = yesOrNo(words);
        if (answer === 'yes') return this.go(step.yes);
        if (answer === 'no') return this.go(step.no);
        break;
      }
      default:
        return;
    }
    // Not an answer to this question: maybe the customer wants something else entirely.
    if (decision && (await this.startIntent(decision, text))) return;
    const keyword = this.engine.flowKeyword(words);
    if (keyword)
      return this.startFlow(keyword.flow.id, keyword.arg, this.engine.understoodFor(keyword.flow.id));
    // In the main menu, unmatched text is a question we did not understand, not a wrong choice.
    const menu = this.session.flow === 'menu';
    this.say(
      step.type === 'confirm'
        ? 'engine.confirm_again'
        : menu
          ? 'engine.not_understood'
          : 'engine.choose_again',
    );
    return this.prompt(step, true);
  }
}

function button(promptId: string, choice: string, label: string): Button {
  return { label, value: `${promptId}:${choice}` };
}

export { isLocale };
