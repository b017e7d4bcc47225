import type { AppContext } from '../../app/context.js';
import type { InboundMessage, OutboundMessage } from '../../channels/types.js';
import type { Models } from '../../db/index.js';
import type { LinkStore } from '../../identity/links.js';
import type { PromoMessageDeps } from '../../promo/index.js';
import type { RequestService, SuppressionSecret, SuppressionStore } from '../../requests/index.js';
import type { Session, SessionStore } from '../../sessions/session-store.js';
import type { Locale, Translate } from '../locales.js';

/** The OTP service as the conversation sees it (src/identity/otp.ts implements it). */
export interface OtpPort {
  requestCode(input: {
    phone: string;
    channel: string;
    chatId: string;
    locale: Locale;
    purpose?: 'verify' | 'new_phone';
  }): Promise<{ status: 'sent' | 'cooldown' | 'limited'; retryAfterSeconds?: number; pendingCode?: boolean }>;
  verifyCode(input: {
    phone: string;
    channel: string;
    chatId: string;
    code: string;
    purpose?: 'verify' | 'new_phone';
  }): Promise<
    { ok: true } | { ok: false; reason: 'wrong' | 'expired' | 'locked' | 'none'; attemptsLeft?: number }
  >;
}

export interface EngineDeps {
  otp: OtpPort;
  requests: RequestService;
  /**
   * Where chats' sessions live. Given by the runtime, so the engine and what else reads sessions
   * (promotions, erasure) share one store; a test may leave it out for one over the app's Redis.
   */
  sessions?: SessionStore;
}

/**
 * What the actions read of the app: the chat links (Redis and their settings), customers, the
 * do-not-market list and the promotion a message replies to, and the logger.
 */
export type ActionApp = LinkStore &
  SuppressionSecret &
  SuppressionStore &
  PromoMessageDeps &
  Pick<AppContext, 'logger'> & { models: Pick<Models, 'Customer'> };

export interface ActionCall {
  app: ActionApp;
  deps: EngineDeps;
  inbound: InboundMessage;
  session: Session;
  locale: Locale;
  args: Record<string, string | number | boolean>;
  t: Translate;
  /**
   * The promotion a revocation answers when the engine found it itself: a "cancel" quoting nothing
   * right after a promotion (consent.opt_out names it in the proof, and its customer as the one).
   */
  revokedPromo?: { promoId: string; customerId: string };
}

export interface ActionResult {
  outcome: string;
  /** Merged into the session's variables (texts can use them as {name}). */
  vars?: Record<string, string>;
  /** Said before the step the outcome leads to. */
  messages?: OutboundMessage[];
}

/** A named piece of TypeScript a flow may call. Outcomes and texts are declared for `flows check`. */
export interface ActionDefinition {
  name: string;
  outcomes: readonly string[];
  texts: readonly string[];
  run(call: ActionCall): Promise<ActionResult>;
}

export const defineAction = (action: ActionDefinition): ActionDefinition => action;
