import { fileURLToPath } from 'node:url';
import type { AppContext } from '../app/context.js';
import { createOtpService, type OtpService } from '../identity/otp.js';
import { type CodeChannel, createOtpProvider } from '../identity/otp-providers/index.js';
import type { Outbox } from '../outbound/index.js';
import { createRequestService, type RequestServiceImpl, type StaffNotifier } from '../requests/index.js';
import { SessionStore } from '../sessions/session-store.js';
import { ConversationEngine, flowCatalog } from './engine.js';
import { loadFlows } from './flow-loader.js';

export const FLOWS_DIR = fileURLToPath(new URL('../../flows', import.meta.url));

export interface Conversation {
  engine: ConversationEngine;
  otp: OtpService;
  requests: RequestServiceImpl;
  close(): Promise<void>;
}

/**
 * The engine with its real dependencies: flows checked at load (an invalid flow refuses the
 * start with the `flows check` report), OTP through the configured provider, requests in MongoDB.
 */
export function createConversation(
  ctx: AppContext,
  deps: {
    outbox: Outbox;
    staff?: StaffNotifier;
    flowsDir?: string;
    /** Channels that may carry one-time codes (OTP_PROVIDER may name one). */
    codeChannels?: CodeChannel[];
  },
): Conversation {
  const loaded = loadFlows(deps.flowsDir ?? FLOWS_DIR, flowCatalog());
  const otp = createOtpService(ctx, createOtpProvider(ctx, deps.outbox, deps.codeChannels));
  const requests = createRequestService(ctx, {
    outbox: deps.outbox,
    ...(deps.staff ? { staff: deps.staff } : {}),
  });
  const engine = new ConversationEngine(ctx, { otp, requests, sessions: new SessionStore(ctx) }, loaded);
  return {
    engine,
    otp,
    requests,
    async close() {
      await otp.drain();
      await requests.close();
    },
  };
}
