import { type JobsOptions, Queue } from 'bullmq';
import type { RequestType } from '../db/index.js';
import { type QueueStore, queueOptions, sharedConnectionQueue } from '../queues/options.js';

/**
 * One queue for every privacy request; the job name is the request type, the job id its ref, and
 * the data only the ref and the document's _id: the request itself (and any personal value)
 * stays in MongoDB.
 */
export const REQUEST_QUEUE = 'requests';

export interface RequestJobData {
  ref: string;
  /** The request's _id: a lookup by _id alone is the one FerretDB 1.24 serves without a scan. */
  id?: string;
}

export interface RequestQueueOptions {
  attempts?: number;
  /** First retry delay; doubles each attempt. */
  backoffMs?: number;
}

export function requestJobOptions(options: RequestQueueOptions = {}): JobsOptions {
  return {
    attempts: options.attempts ?? 6,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 5_000 },
    // Kept a while for the queue dashboard; the request's own record is in MongoDB.
    removeOnComplete: { age: 7 * 86_400, count: 5_000 },
    removeOnFail: { age: 30 * 86_400 },
  };
}

export type RequestQueue = Queue<RequestJobData, unknown, RequestType>;

export function createRequestQueue(ctx: QueueStore, options: RequestQueueOptions = {}): RequestQueue {
  return sharedConnectionQueue(
    new Queue<RequestJobData, unknown, RequestType>(REQUEST_QUEUE, {
      ...queueOptions(ctx),
      defaultJobOptions: requestJobOptions(options),
    }),
  );
}

/** Queues a request already saved in MongoDB. Adding the same ref twice is a no-op (job id = ref). */
export async function enqueueRequest(
  queue: RequestQueue,
  request: { ref: string; type: RequestType; _id?: unknown },
) {
  const data: RequestJobData = { ref: request.ref, ...(request._id ? { id: String(request._id) } : {}) };
  await queue.add(request.type, data, { jobId: request.ref });
}
