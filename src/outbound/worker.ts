import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Component } from '../app/component.js';
import type { AppContext, RedisStore } from '../app/context.js';
import { type ChannelDeps, channelDefinition, channelDefinitions } from '../channels/registry.js';
import { type ChannelAdapter, type ChannelErrorCode, ChannelSendError } from '../channels/types.js';
import type { Models } from '../db/index.js';
import { logTag } from '../logging/logger.js';
import { rateLimitedWarn } from '../logging/rate-limited.js';
import { countDeadLetter, countSendFailure, countSent } from '../metrics/outbound.js';
import { queueOptions, sharedConnectionQueue, workerConnection } from '../queues/options.js';
import { redisScript } from '../queues/redis-script.js';
import { markChatSent } from '../sessions/session-store.js';
import {
  chatHash,
  type DeadLetterHook,
  type DeadLetterNotice,
  maskChatId,
  recordDeadLetter,
  sanitizeDetail,
} from './dead-letter.js';
import {
  defaultPartitions,
  legacyJobDataSchema,
  type OutboundDelivery,
  type OutboundJobData,
  type OutboundProgress,
  outboundJobDataSchema,
  outboundQueueName,
  type PartitionRule,
  readProgress,
  redactJobData,
  sealContext,
  sealedContentSchema,
} from './queues.js';
import { openingKey, unseal } from './seal.js';
import type { OutboundMeta } from './types.js';

/** After a message went out: the platform's message id, for matching replies (STOP to a promo). */
export interface SentNotice {
  channel: string;
  chatId: string;
  messageId?: string;
  meta: OutboundMeta;
}

export interface OutboundWorkerOptions {
  /** Channels this process sends for (e.g. the worker role: those with sendFrom 'any'). */
  channels: string[];
  /** The adapter that can send for a channel now; undefined makes the message wait. */
  resolveAdapter: (channel: string) => ChannelAdapter | undefined;
  /** Called once per dead letter, after it is written (not for purpose 'staff': no loops). */
  onDeadLetter?: DeadLetterHook;
  onSent?: (notice: SentNotice) => void | Promise<void>;
  /** Must match the producer's rule. */
  partitions?: PartitionRule;
  /** Failed sends (UNAVAILABLE, no adapter) before a message is dead-lettered. Default 8. */
  maxFailures?: number;
  /** Times the channel may ask us to slow down for one message. Default 20. */
  maxRateLimitHits?: number;
  /** Exponential backoff after a failure: base·2^(n-1), capped. Defaults 1 s and 5 min. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Wait when RATE_LIMITED comes without a retry-after. Default 1 s. */
  defaultRetryAfterMs?: number;
  /**
   * How often each partition's global concurrency is set again. Default 30 s. It lives in Redis
   * (the queue's meta): a Redis restarted empty or flushed loses it while the processes run on,
   * and each of them would then send a job of the same partition at once.
   */
  concurrencyRefreshMs?: number;
}

export interface OutboundWorker extends Component {
  /** The partition queues this worker serves. */
  readonly queueNames: string[];
}

// Every partition worker gets a limiter so a pause set by any process (queue.rateLimit) is
// honoured by all of them; BullMQ ignores the limiter key when no limiter is configured.
const UNLIMITED = { max: 100_000, duration: 1000 };

const DEAD_LETTERED = 'dead-lettered';

/**
 * Pauses a partition (its BullMQ limiter key, set as queue.rateLimit sets it) for at least ARGV[1]
 * ms: a longer pause already set (a backoff) is kept, not shortened. A key that only counts sends
 * (a channel's pace) is no pause: replaced.
 */
const PAUSE_AT_LEAST = redisScript(`
local left = redis.call('PTTL', KEYS[1])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[2])
if paused and left >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
return 1`);

/**
 * What the sender reads: Redis (its queues, the chats' keys), the dead-letter collection, the config
 * (the Redis prefix, the secret chats are hashed with, each channel's pace from its own settings),
 * the logger and the send metrics.
 */
export interface OutboundWorkerDeps extends RedisStore, Pick<AppContext, 'config' | 'logger' | 'metrics'> {
  models: Pick<Models, 'DeadLetter'>;
}

/**
 * Sends queued outbound messages through the channel adapters.
 *
 * Per partition: one job at a time over all processes (global concurrency 1), so a chat's
 * messages go in order however many workers run. When a message must wait
 * (RATE_LIMITED: the platform's retry-after; UNAVAILABLE or no adapter: exponential backoff)
 * the partition is paused for that long and the job goes back to the head of its line
 * (BullMQ's RateLimitError), so nothing behind it overtakes it; other partitions keep sending,
 * unless the channel says the rate limit is the account's (ChannelCapabilities.accountRateLimit:
 * Telegram's bot, a WhatsApp Cloud number): then every partition of the channel waits it out, in
 * every process, since their sends would only be refused too. CHAT_BLOCKED and BAD_REQUEST
 * cannot succeed later: dead-lettered at once. Delivery is at least once: a process killed
 * mid-send lets the stalled job be sent again; its partition waits for it (BullMQ's stall check)
 * rather than letting another process send past it.
 *
 * Jobs rest sealed (seal.ts): the message is opened only for the send. A job whose
 * chat key is gone (the customer was erased) is dropped unread; a dead-lettered job is redacted
 * to its masked chat and reason, so the failed list on the dashboard holds nothing personal.
 */
export function createOutboundWorker(
  ctx: OutboundWorkerDeps,
  options: OutboundWorkerOptions,
): OutboundWorker {
  const partitions = options.partitions ?? defaultPartitions;
  const maxFailures = options.maxFailures ?? 8;
  const maxRateLimitHits = options.maxRateLimitHits ?? 20;
  const backoffBaseMs = options.backoffBaseMs ?? 1000;
  const backoffMaxMs = options.backoffMaxMs ?? 300_000;
  const defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1000;
  const logger = ctx.logger.child({ component: 'outbound-worker' });

  const plan = options.channels.flatMap((channel) =>
    Array.from({ length: Math.max(1, partitions(channel)) }, (_, p) => ({
      channel,
      name: outboundQueueName(channel, p),
    })),
  );
  let connection: Redis | undefined;
  let workers: Worker<OutboundJobData>[] = [];
  /** Each channel's partition queues (a pause of the whole account takes them all). */
  let channelQueues = new Map<string, Queue<OutboundJobData>[]>();
  const allQueues = () => [...channelQueues.values()].flat();
  let concurrencyRefresh: NodeJS.Timeout | undefined;

  // The channel's declared pace (WhatsApp Web's ban risk), shared by its partitions.
  const limiterFor = (channel: string) => {
    const definition = channelDefinition(channel);
    const perSecond = definition?.capabilities.sendsPerSecond?.(ctx.config);
    if (!definition || !perSecond) return UNLIMITED;
    return {
      max: 1,
      duration: Math.ceil((1000 * Math.max(1, definition.capabilities.partitions)) / perSecond),
    };
  };

  const backoff = (failures: number) =>
    Math.min(backoffBaseMs * 2 ** Math.max(0, failures - 1), backoffMaxMs);

  async function deadLetter(
    job: Job<OutboundJobData>,
    queue: Queue<OutboundJobData>,
    data: OutboundJobData,
    progress: OutboundProgress,
    reason: ChannelErrorCode,
    detail: string,
    platformCode?: string,
  ): Promise<never> {
    // Remember the decision first: if MongoDB is down, the retry writes the letter, not a resend.
    progress.deadLetter = {
      reason,
      detail: sanitizeDetail(detail),
      ...(platformCode ? { platformCode } : {}),
    };
    await job.updateProgress(progress);
    let notice: DeadLetterNotice;
    try {
      notice = await recordDeadLetter(ctx, {
        key: `${job.queueName}/${job.id}/${job.timestamp}`,
        data,
        reason,
        detail,
        platformCode,
        attempts: progress.sends,
      });
    } catch (err) {
      logger.error(
        { err: { message: (err as Error).message }, jobId: job.id },
        'could not write dead letter',
      );
      return waitAndRetry(job, queue, progress, backoffMaxMs / 10);
    }
    logger.error(
      {
        queue: job.queueName,
        jobId: job.id,
        reason,
        attempts: progress.sends,
        purpose: notice.purpose,
        requestRef: notice.requestRef,
        deadLetterId: notice.id,
      },
      'outbound message dead-lettered',
    );
    countDeadLetter(ctx.metrics, data, reason);
    if (options.onDeadLetter && data.meta.purpose !== 'staff') {
      try {
        await options.onDeadLetter(notice);
      } catch (err) {
        logger.warn(
          { err: { message: (err as Error).message }, deadLetterId: notice.id },
          'dead-letter hook failed',
        );
      }
    }
    // Last: the letter and the notice exist, so the message itself is no longer needed.
    await job.updateData(redactJobData(data, reason));
    throw new UnrecoverableError(`${DEAD_LETTERED}: ${reason}`);
  }

  /** A job's data as it rests, or a pre-sealing job with its message already in hand. */
  function readJob(raw: unknown): { data: OutboundJobData; legacy?: OutboundDelivery } | undefined {
    const parsed = outboundJobDataSchema.safeParse(raw);
    if (parsed.success) return { data: parsed.data };
    const old = legacyJobDataSchema.safeParse(raw);
    if (!old.success) return undefined;
    const { chatId, message, channel, part, enqueuedAt } = old.data;
    const { dedupeKey: _unused, ...meta } = old.data.meta;
    return {
      data: {
        channel,
        chat: chatHash(ctx, channel, chatId),
        maskedChat: maskChatId(channel, chatId),
        kind: message.kind,
        meta,
        part,
        enqueuedAt,
      },
      legacy: { channel, chatId, message, meta, part, enqueuedAt },
    };
  }

  /** The job's message, opened; undefined when its chat key is gone or does not fit. */
  async function open(data: OutboundJobData & { sealed: string }): Promise<OutboundDelivery | undefined> {
    const key = await openingKey(ctx, data.chat);
    if (!key) return undefined;
    const content = sealedContentSchema.safeParse(unseal(key, data.sealed, sealContext(data)));
    if (!content.success) return undefined;
    return {
      ...content.data,
      channel: data.channel,
      meta: data.meta,
      part: data.part,
      enqueuedAt: data.enqueuedAt,
    };
  }

  /** Pause the whole partition and put the job back at its head. */
  async function waitAndRetry(
    job: Job<OutboundJobData>,
    queue: Queue<OutboundJobData>,
    progress: OutboundProgress,
    waitMs: number,
  ): Promise<never> {
    await job.updateProgress(progress);
    await queue.rateLimit(Math.max(1, Math.round(waitMs)));
    logger.warn(
      {
        queue: job.queueName,
        jobId: job.id,
        code: progress.lastCode,
        waitMs,
        failures: progress.failures,
        rateLimitHits: progress.rateLimitHits,
      },
      'outbound send waits',
    );
    throw Worker.RateLimitError();
  }

  /**
   * The account is rate-limited: the channel's other partitions wait too (their limiter keys are
   * in Redis, so every process's workers honour them), each at least `waitMs`. A failure is only
   * logged: the refused partition still waits.
   */
  async function pauseAccount(channel: string, refused: Queue<OutboundJobData>, waitMs: number) {
    const others = (channelQueues.get(channel) ?? []).filter((q) => q !== refused);
    const ms = Math.max(1, Math.round(waitMs));
    try {
      await Promise.all(
        others.map((q) => PAUSE_AT_LEAST.run(ctx.redis, [q.toKey('limiter')], [ms, Number.MAX_SAFE_INTEGER])),
      );
      logger.warn(
        { channel, partitions: others.length + 1, waitMs },
        'outbound channel waits: its rate limit is the account',
      );
    } catch (err) {
      logger.warn(
        { err: { message: (err as Error).message }, channel },
        'outbound channel not paused (Redis unreachable?): only the refused partition waits',
      );
    }
  }

  async function sendOne(job: Job<OutboundJobData>, queue: Queue<OutboundJobData>): Promise<void> {
    const read = readJob(job.data);
    if (!read) {
      // The dashboard can add jobs by hand: one not of our shape is dropped, not crashed on.
      logger.warn({ queue: job.queueName, jobId: job.id }, 'outbound job dropped: not a message of ours');
      return;
    }
    const { data, legacy } = read;
    if (!data.sealed && !legacy) {
      // Redacted when it was dead-lettered (letter written, staff told): nothing left to send.
      logger.warn(
        { queue: job.queueName, jobId: job.id, reason: data.redacted },
        'outbound job not sent: it was dead-lettered and redacted (retried from the dashboard?)',
      );
      throw new UnrecoverableError(`${DEAD_LETTERED}: ${data.redacted ?? 'redacted'}`);
    }
    const progress = readProgress(job.progress);
    const pending = progress.deadLetter;
    if (pending) {
      return deadLetter(
        job,
        queue,
        data,
        progress,
        pending.reason as ChannelErrorCode,
        pending.detail,
        pending.platformCode,
      );
    }
    const delivery = legacy ?? (data.sealed ? await open({ ...data, sealed: data.sealed }) : undefined);
    if (!delivery) {
      logger.info(
        {
          queue: job.queueName,
          jobId: job.id,
          purpose: data.meta.purpose,
          requestRef: data.meta.requestRef,
        },
        'outbound message dropped unread: its chat key is gone (customer erased, or key expired)',
      );
      return;
    }

    const adapter = options.resolveAdapter(data.channel);
    progress.sends += 1;
    if (!adapter) {
      progress.failures += 1;
      progress.lastCode = 'NO_ADAPTER';
      countSendFailure(ctx.metrics, data, 'NO_ADAPTER');
      if (progress.failures >= maxFailures)
        return deadLetter(
          job,
          queue,
          data,
          progress,
          'UNAVAILABLE',
          `No ${data.channel} sender was available`,
        );
      return waitAndRetry(job, queue, progress, backoff(progress.failures));
    }

    let sent: { messageId?: string };
    try {
      // Why it is sent: a channel that may write first only with templates chooses by it.
      const { purpose, requestRef, promoId } = delivery.meta;
      sent = await adapter.send(delivery.chatId, delivery.message, { purpose, requestRef, promoId });
    } catch (err) {
      const error =
        err instanceof ChannelSendError
          ? err
          : new ChannelSendError('UNAVAILABLE', err instanceof Error ? err.message : String(err));
      progress.lastCode = error.code;
      countSendFailure(ctx.metrics, data, error.code);
      const giveUp = () =>
        deadLetter(job, queue, data, progress, error.code, error.message, error.platformCode);
      if (!error.retryable) return giveUp();
      if (error.code === 'RATE_LIMITED') {
        progress.rateLimitHits += 1;
        if (progress.rateLimitHits > maxRateLimitHits) return giveUp();
        const waitMs = error.retryAfterMs ?? defaultRetryAfterMs;
        if (channelDefinition(data.channel)?.capabilities.accountRateLimit?.(error, delivery.chatId))
          await pauseAccount(data.channel, queue, waitMs);
        return waitAndRetry(job, queue, progress, waitMs);
      }
      progress.failures += 1;
      if (progress.failures >= maxFailures) return giveUp();
      return waitAndRetry(job, queue, progress, backoff(progress.failures));
    }

    countSent(ctx.metrics, data);
    // Any message but a promotion makes a promotion sent before it no longer the bot's latest (a
    // bare "batal" then cancels, it does not opt out): when, beside the chat's meta. Promotions are
    // remembered as such (promomessages), whether sent here or by the promo transport itself.
    if (delivery.meta.purpose !== 'promo' && !delivery.meta.promoId) {
      await markChatSent(ctx, data.channel, delivery.chatId).catch((err: Error) =>
        logger.warn({ err: { message: err.message }, jobId: job.id }, 'chat last-sent time not written'),
      );
    }
    if (logger.isLevelEnabled('debug'))
      logger.debug(
        {
          queue: job.queueName,
          jobId: job.id,
          chatTag: logTag(ctx.config.otp.secret, `${data.channel}:${delivery.chatId}`),
          kind: data.kind,
          purpose: data.meta.purpose,
          requestRef: data.meta.requestRef,
          attempts: progress.sends,
          latencyMs: Date.now() - data.enqueuedAt,
        },
        'outbound sent',
      );
    if (options.onSent) {
      try {
        await options.onSent({
          channel: data.channel,
          chatId: delivery.chatId,
          messageId: sent.messageId,
          meta: data.meta,
        });
      } catch (err) {
        logger.warn({ err: { message: (err as Error).message }, jobId: job.id }, 'sent hook failed');
      }
    }
  }

  /**
   * A job that failed other than through deadLetter (stalled too often, or Redis refused the
   * redaction): still a dead letter, and redacted here.
   */
  async function onFailed(job: Job<OutboundJobData> | undefined, err: Error) {
    if (!job) return;
    const read = readJob(job.data);
    if (!read) return;
    const { data, legacy } = read;
    const lettered = err.message.startsWith(DEAD_LETTERED);
    try {
      if (!lettered) {
        await recordDeadLetter(ctx, {
          key: `${job.queueName}/${job.id}/${job.timestamp}`,
          data,
          reason: 'UNAVAILABLE',
          detail: err.message,
          attempts: readProgress(job.progress).sends,
        });
        countDeadLetter(ctx.metrics, data, 'UNAVAILABLE');
      }
      const reason = lettered ? err.message.slice(DEAD_LETTERED.length + 2) : 'UNAVAILABLE';
      if (data.sealed || legacy) await job.updateData(redactJobData(data, reason));
    } catch (writeErr) {
      logger.error(
        { err: { message: (writeErr as Error).message }, queue: job.queueName, jobId: job.id },
        'could not write dead letter or redact the failed job',
      );
    }
  }

  return {
    name: 'outbound-worker',
    queueNames: plan.map((p) => p.name),
    async start() {
      connection = workerConnection(ctx);
      const shared = connection;
      for (const { channel, name } of plan) {
        const queue = sharedConnectionQueue(new Queue<OutboundJobData>(name, queueOptions(ctx)));
        // `concurrency: 1` below holds only within this process: a second one (ROLE=worker
        // replicas, or ROLE=all beside a worker) would take the next job of the same partition at
        // once and a chat's messages could leave out of order. One active job per partition queue
        // over all processes, kept in Redis (the queue's meta); setting it again is harmless, and
        // it is set again every concurrencyRefreshMs in case Redis lost it.
        await queue.setGlobalConcurrency(1);
        const worker = new Worker<OutboundJobData>(name, (job) => sendOne(job, queue), {
          connection: shared,
          prefix: ctx.config.redisPrefix,
          concurrency: 1,
          limiter: limiterFor(channel),
          maxStalledCount: 3,
        });
        worker.on('failed', (job, err) => void onFailed(job, err));
        const warn = rateLimitedWarn(logger, 'worker error');
        worker.on('error', (err) => warn({ err: { message: err.message }, queue: name }));
        channelQueues.set(channel, [...(channelQueues.get(channel) ?? []), queue]);
        workers.push(worker);
      }
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      concurrencyRefresh = setInterval(() => {
        Promise.all(allQueues().map((q) => q.setGlobalConcurrency(1))).catch((err: Error) =>
          logger.warn(
            { err: { message: err.message } },
            'outbound global concurrency not set again (Redis unreachable?): tried again at the next refresh',
          ),
        );
      }, options.concurrencyRefreshMs ?? 30_000);
      concurrencyRefresh.unref();
      logger.info({ queues: plan.length, channels: options.channels }, 'outbound worker started');
    },
    async stop() {
      clearInterval(concurrencyRefresh);
      concurrencyRefresh = undefined;
      await Promise.allSettled(workers.map((w) => w.close()));
      await Promise.allSettled(allQueues().map((q) => q.close()));
      workers = [];
      channelQueues = new Map();
      await connection?.quit().catch(() => {});
      connection = undefined;
    },
  };
}

/** The sender's part, and what the channels' adapters are made with. */
export type StatelessOutboundDeps = OutboundWorkerDeps & ChannelDeps;

/**
 * For the worker role: sends for every enabled channel whose API any process may call
 * (sendFrom 'any', e.g. Telegram). WhatsApp messages are sent by the gateway that holds the
 * session, which builds its own outbound worker with its adapters.
 */
export function createStatelessOutboundComponent(
  ctx: StatelessOutboundDeps,
  hooks: Pick<OutboundWorkerOptions, 'onDeadLetter' | 'onSent'> = {},
): OutboundWorker | undefined {
  const definitions = channelDefinitions.filter((d) => d.sendFrom === 'any' && d.enabled(ctx));
  if (definitions.length === 0) return undefined;
  const adapters = new Map<string, ChannelAdapter>();
  const worker = createOutboundWorker(ctx, {
    ...hooks,
    channels: definitions.map((d) => d.name),
    resolveAdapter: (channel) => {
      let adapter = adapters.get(channel);
      const definition = definitions.find((d) => d.name === channel);
      if (!adapter && definition) {
        // Send-only: never started, so it receives nothing.
        adapter = definition.createAdapter(ctx);
        adapters.set(channel, adapter);
      }
      return adapter;
    },
  });
  return {
    ...worker,
    async stop() {
      await worker.stop();
      await Promise.allSettled([...adapters.values()].map((a) => a.stop()));
    },
  };
}
