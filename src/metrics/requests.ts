import type { Metrics } from './metrics.js';

/**
 * A request closed (completed, failed, rejected, cancelled), whoever closed it: the worker,
 * staff or the customer. Time to complete is observed for completed requests only.
 */
export function countFinished(
  metrics: Metrics | undefined,
  request: { type: string; createdAt?: Date },
  outcome: string,
  at: Date,
): void {
  if (!metrics) return;
  metrics.requestsFinished.inc({ type: request.type, outcome });
  if (outcome === 'completed' && request.createdAt)
    metrics.requestCompletion.observe(
      { type: request.type },
      Math.max(0, at.getTime() - new Date(request.createdAt).getTime()) / 1000,
    );
}

/** Times one request job: `result` is the job's ProcessResult, or `retry` when it threw. */
export function timeRequestJob(metrics: Metrics | undefined, type: string): (result: string) => void {
  if (!metrics) return () => {};
  const end = metrics.requestJobDuration.startTimer({ type });
  return (result) => {
    end({ result });
  };
}
