import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChannelHealth } from '../channels/types.js';

/**
 * Every metric hakdata exports, on one Registry per process (handed around in the AppContext,
 * never prom-client's global one, so two apps in one test process do not mix their counts).
 *
 * Labels hold only names from our own code: a channel as registered, a purpose, a request type,
 * a status, an error code, a provider, a queue name. Never a chat id, phone, name or text: a
 * label value is stored by Prometheus for weeks and shown to anyone with a dashboard
 * (test/integration/metrics.test.ts scrapes after a full journey and searches for them).
 */

export type QueueState = 'waiting' | 'active' | 'delayed' | 'failed';
export const QUEUE_STATES: readonly QueueState[] = ['waiting', 'active', 'delayed', 'failed'];

export interface QueueDepth {
  queue: string;
  counts: Record<QueueState, number>;
}

/** Read at scrape time; may throw (the scrape then reports the source as failed). */
export type QueueDepthSource = () => Promise<QueueDepth[]>;
/** Open requests past their `dueAt`, by request type. */
export type OverdueSource = () => Promise<Record<string, number>>;

export interface Metrics {
  readonly registry: Registry;
  readonly inboundMessages: Counter<'channel' | 'outcome'>;
  readonly outboundSent: Counter<'channel' | 'purpose'>;
  readonly outboundSendFailures: Counter<'channel' | 'purpose' | 'code'>;
  readonly outboundDeadLetters: Counter<'channel' | 'purpose' | 'reason'>;
  readonly outboundDuplicatesSkipped: Counter<'channel' | 'purpose'>;
  /** Inbound message handed to the engine → its first reply sent; its `_count` is "answered". */
  readonly replyLatency: Histogram<'channel'>;
  readonly requestJobDuration: Histogram<'type' | 'result'>;
  readonly requestsCreated: Counter<'type' | 'status'>;
  readonly requestsFinished: Counter<'type' | 'outcome'>;
  readonly requestCompletion: Histogram<'type'>;
  readonly otpIssued: Counter<'purpose'>;
  readonly otpVerified: Counter<'purpose'>;
  readonly otpRefused: Counter<'reason'>;
  readonly otpDeliveries: Counter<'provider' | 'result'>;
  readonly collectErrors: Counter<'source'>;
  /** Channel health, read from the adapters at scrape time. Returns a function that stops it. */
  watchChannel(channel: string, health: () => ChannelHealth): () => void;
  /** Queue depth per BullMQ queue, read at scrape time (one source per process is enough). */
  watchQueues(source: QueueDepthSource): void;
  watchOverdue(source: OverdueSource): void;
}

/**
 * A channel's health state as a label: the adapters' words before any detail after a colon
 * ("down: Bot API unreachable" → "down"), so an error sentence never becomes a label.
 */
export function stateLabel(state: string): string {
  const head = state.split(':')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z][a-z -]{0,39}$/.test(head) ? head.replaceAll(' ', '_') : 'other';
}

/** A scrape-time read slower than this is given up (Prometheus' default scrape timeout is 10 s). */
const COLLECT_TIMEOUT_MS = 2_000;

const seconds = {
  // Replies: a healthy bot answers in well under a second; minutes mean a backlog.
  reply: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
  // A job: an unsubscribe takes ~0.1 s, an access package or a big erase many seconds.
  job: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  // Created → completed: seconds when queued, hours to days when staff decide (UU PDP: 72 h).
  completion: [1, 10, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600, 48 * 3600, 72 * 3600, 96 * 3600],
};

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const channels = new Map<string, () => ChannelHealth>();
  let queues: QueueDepthSource | undefined;
  let overdue: OverdueSource | undefined;

  // A scrape reads every metric at once: a failed read shows in this counter from the next scrape.
  const collectErrors = new Counter({
    name: 'hakdata_metrics_collect_errors_total',
    help: 'Scrape-time reads that failed or took over 2 s (queue depth from Redis, overdue requests from MongoDB).',
    labelNames: ['source'] as const,
    registers,
  });
  /**
   * A failed or slow read leaves the gauge empty (no stale figure) and is counted, not thrown:
   * with Redis down, ioredis holds commands until it reconnects, and a scrape must still answer.
   */
  const guarded = async (source: string, read: () => Promise<void>) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        read(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), COLLECT_TIMEOUT_MS);
        }),
      ]);
    } catch {
      collectErrors.inc({ source });
    } finally {
      clearTimeout(timer);
    }
  };

  new Gauge({
    name: 'hakdata_channel_up',
    help: 'Whether a channel can receive and send now (1) or not (0), as its adapter reports.',
    labelNames: ['channel'] as const,
    registers,
    collect() {
      this.reset();
      for (const [channel, health] of channels) this.set({ channel }, health().ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hakdata_channel_state',
    help: "1 for a channel's current state: Telegram polling, webhook, starting, down, stopped; WhatsApp connected, waiting_for_qr_scan, reconnecting, auth_failure…",
    labelNames: ['channel', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const [channel, health] of channels) this.set({ channel, state: stateLabel(health().state) }, 1);
    },
  });
  new Gauge({
    name: 'hakdata_queue_jobs',
    help: 'Jobs per BullMQ queue and state (waiting includes prioritized), read at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      const source = queues;
      if (!source) return;
      await guarded('queues', async () => {
        for (const { queue, counts } of await source())
          for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state]);
      });
    },
  });
  new Gauge({
    name: 'hakdata_requests_overdue',
    help: 'Open privacy requests (pending approval, queued, processing) past their dueAt, by type.',
    labelNames: ['type'] as const,
    registers,
    async collect() {
      this.reset();
      const source = overdue;
      if (!source) return;
      await guarded('overdue', async () => {
        for (const [type, count] of Object.entries(await source())) this.set({ type }, count);
      });
    },
  });

  const inboundMessages = new Counter({
    name: 'hakdata_inbound_messages_total',
    help: 'Messages received from customers, by channel and whether the engine answered (replied), had nothing to say (no_reply: a re-delivery) or failed (error).',
    labelNames: ['channel', 'outcome'] as const,
    registers,
  });
  const replyLatency = new Histogram({
    name: 'hakdata_reply_latency_seconds',
    help: 'From an inbound message reaching the gateway to its first reply delivered; the count is the messages answered.',
    labelNames: ['channel'] as const,
    buckets: seconds.reply,
    registers,
  });

  return {
    registry,
    collectErrors,
    inboundMessages,
    outboundSent: new Counter({
      name: 'hakdata_outbound_sent_total',
      help: 'Messages delivered to a channel, by purpose (reply, notification, promo, staff, otp).',
      labelNames: ['channel', 'purpose'] as const,
      registers,
    }),
    outboundSendFailures: new Counter({
      name: 'hakdata_outbound_send_failures_total',
      help: 'Send attempts that failed and will be retried or dead-lettered, by error code.',
      labelNames: ['channel', 'purpose', 'code'] as const,
      registers,
    }),
    outboundDeadLetters: new Counter({
      name: 'hakdata_outbound_dead_letters_total',
      help: 'Messages given up on and written to deadletters for staff.',
      labelNames: ['channel', 'purpose', 'reason'] as const,
      registers,
    }),
    outboundDuplicatesSkipped: new Counter({
      name: 'hakdata_outbound_duplicates_skipped_total',
      help: 'Messages not queued because one with the same dedupe key was queued within its TTL.',
      labelNames: ['channel', 'purpose'] as const,
      registers,
    }),
    replyLatency,
    requestJobDuration: new Histogram({
      name: 'hakdata_request_job_duration_seconds',
      help: 'Time a request worker spent on one job, by request type and result (completed, failed, skipped, retry).',
      labelNames: ['type', 'result'] as const,
      buckets: seconds.job,
      registers,
    }),
    requestsCreated: new Counter({
      name: 'hakdata_requests_created_total',
      help: 'Privacy requests created, by type and first status (queued, pending_approval).',
      labelNames: ['type', 'status'] as const,
      registers,
    }),
    requestsFinished: new Counter({
      name: 'hakdata_requests_finished_total',
      help: 'Privacy requests closed, by type and outcome (completed, failed, rejected, cancelled).',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    requestCompletion: new Histogram({
      name: 'hakdata_request_completion_seconds',
      help: 'From a request created to completed, by type (UU PDP deadline: 72 h for access and update).',
      labelNames: ['type'] as const,
      buckets: seconds.completion,
      registers,
    }),
    otpIssued: new Counter({
      name: 'hakdata_otp_issued_total',
      help: 'One-time codes issued, by purpose (verify, new_phone).',
      labelNames: ['purpose'] as const,
      registers,
    }),
    otpVerified: new Counter({
      name: 'hakdata_otp_verified_total',
      help: 'One-time codes verified, by purpose.',
      labelNames: ['purpose'] as const,
      registers,
    }),
    otpRefused: new Counter({
      name: 'hakdata_otp_refused_total',
      help: 'Code requests and checks refused: wrong, expired, locked (too many wrong tries), none (no code), rate_limited, cooldown.',
      labelNames: ['reason'] as const,
      registers,
    }),
    otpDeliveries: new Counter({
      name: 'hakdata_otp_deliveries_total',
      help: 'Code deliveries by provider (webhook, whatsapp, console) and result (delivered, failed).',
      labelNames: ['provider', 'result'] as const,
      registers,
    }),
    watchChannel(channel, health) {
      channels.set(channel, health);
      // Series at zero from the start: increase() cannot see a counter's first step, and a
      // channel whose very first messages go unanswered must show.
      for (const outcome of ['replied', 'no_reply', 'error'] as const)
        inboundMessages.inc({ channel, outcome }, 0);
      replyLatency.zero({ channel });
      return () => {
        if (channels.get(channel) === health) channels.delete(channel);
      };
    },
    watchQueues(source) {
      queues = source;
    },
    watchOverdue(source) {
      overdue = source;
    },
  };
}
