import type { Locale } from '../catalogue/index.js';
import type { RequestStatus, RequestType } from '../db/index.js';

/**
 * The privacy-request API the conversation flows, the staff tools and the tests call.
 * Implemented in src/requests/ (lifecycle, flags, SLA, queue producers).
 */

export interface CreateRequestInput {
  type: RequestType;
  /** Verified customer; for unsubscribe by a proven sender, may be absent (chat suppression). */
  customerId?: string;
  channel: string;
  chatId: string;
  locale: Locale;
  /** update: the fields to change, already validated by the flow (name, address, email, paymentMethod, phone). */
  changes?: Record<string, string>;
  /** unsubscribe/subscribe: proof of consent (words the customer used, message id, promo replied to). */
  proof?: { words?: string; messageId?: string; promoId?: string };
  /** Who asked: 'customer' normally. */
  actor?: string;
  /**
   * The conversation already told the customer what happens next (its flow's own reply), so the
   * lifecycle does not say it again: no "needs review" notice when flagged, and no consent
   * confirmation when an unsubscribe/subscribe is applied. Failures are still reported.
   */
  toldInChat?: boolean;
}

export interface CreatedRequest {
  ref: string;
  status: RequestStatus;
  /** True when the request waits for staff (flags say why). */
  flagged: boolean;
  flags: { code: string; reason: string }[];
  dueAt: Date;
}

export interface RequestSummary {
  ref: string;
  type: RequestType;
  status: RequestStatus;
  createdAt: Date;
  dueAt: Date;
  /** Staff's reason, when rejected. */
  reason?: string;
}

/** Errors are values with a code and a sentence, never a bare string. */
export class RequestError extends Error {
  constructor(
    readonly code:
      | 'NOT_FOUND'
      | 'ILLEGAL_TRANSITION'
      | 'INVALID_INPUT'
      | 'CONFLICT'
      | 'NOT_VERIFIED'
      | 'ALREADY_DECIDED',
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** The calls other modules make; `createRequestService(ctx)` in src/requests/ implements it. */
export interface RequestService {
  /** Writes the request to MongoDB, then queues it (or leaves it for staff when flagged). */
  create(input: CreateRequestInput): Promise<CreatedRequest>;
  /** Latest requests of one customer, newest first. */
  listForCustomer(customerId: string, limit?: number): Promise<RequestSummary[]>;
  /** One request by ref, only if it belongs to that customer (no peeking at others' refs). */
  findForCustomer(customerId: string, ref: string): Promise<RequestSummary | undefined>;
  /** Customer cancels a request that has not started yet. */
  cancel(customerId: string, ref: string): Promise<RequestSummary>;
  /**
   * Staff decide a request waiting in `pending_approval`: approved → queued, rejected → rejected
   * (reason required, sent to the customer). A second decision throws ALREADY_DECIDED and changes nothing.
   */
  decide(input: StaffDecision): Promise<RequestSummary>;
}

export interface StaffDecision {
  ref: string;
  outcome: 'approved' | 'rejected';
  /** `staff:<console username>` or `telegram:<user id>`. */
  staff: string;
  reason?: string;
}

/** Told when a request needs a human; the Telegram staff chat implements it (src/staff/). */
export interface StaffNotifier {
  requestFlagged(ref: string): Promise<void>;
  slaReminder(ref: string, which: '24h' | '48h' | 'overdue'): Promise<void>;
  deadLetter(summary: { id: string; channel: string; reason: string }): Promise<void>;
}
