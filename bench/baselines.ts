import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { measureRate } from './harness.js';

/** Raw ioredis GET+SET round trips: the floor under every Redis-backed figure. */
export async function redisRoundTrips(redisUrl: string, count = 20_000, concurrency = 32): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const { perSecond } = await measureRate(count, concurrency, async (i) => {
      await redis.get(`bench:base:${i % 100}`);
      await redis.set(`bench:base:${i % 100}`, 'x', 'EX', 60);
    });
    return perSecond;
  } finally {
    redis.disconnect();
  }
}

/** Raw BullMQ no-op jobs, added in bulk and processed by one worker: the floor under request jobs. */
export async function bullmqNoopJobs(redisUrl: string, count = 2_000, concurrency = 8): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `bench-${Date.now()}`;
  const queue = new Queue('noop', { connection, prefix });
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const worker = new Worker(
    'noop',
    async () => {
      if (++done === count) finish();
    },
    { connection: connection.duplicate(), prefix, concurrency },
  );
  try {
    const started = performance.now();
    await queue.addBulk(Array.from({ length: count }, (_, i) => ({ name: 'noop', data: { i } })));
    await finished;
    return count / ((performance.now() - started) / 1000);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}
