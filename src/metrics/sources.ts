import { Queue } from 'bullmq';
import { REQUEST_TYPES, type RequestType } from '../db/index.js';
import { type QueueStore, queueOptions, sharedConnectionQueue } from '../queues/options.js';
import type { Metrics, OverdueSource, QueueDepthSource } from './metrics.js';

/**
 * What the installation-wide figures read at scrape time, given by the composition (the queues this
 * configuration runs, the overdue requests' types) rather than read here from other modules.
 */
export interface InstallationSources {
  queueNames: string[];
  overdueTypes(now: Date, limit: number): Promise<RequestType[]>;
}

/** How long the overdue count is reused: FerretDB 1.24 reads the whole collection for it. */
export const OVERDUE_CACHE_MS = 30_000;

/**
 * Queue depth of every queue this configuration runs, one Redis MULTI per queue at scrape time.
 * The Queue objects share the context's Redis connection (no blocking calls are made on them).
 */
export function queueDepthSource(
  store: QueueStore,
  queueNames: string[],
): { read: QueueDepthSource; close(): Promise<void> } {
  const queues = queueNames.map((name) => sharedConnectionQueue(new Queue(name, queueOptions(store))));
  return {
    read: () =>
      Promise.all(
        queues.map(async (queue) => {
          const c = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed');
          return {
            queue: queue.name,
            counts: {
              waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
              active: c.active ?? 0,
              delayed: c.delayed ?? 0,
              failed: c.failed ?? 0,
            },
          };
        }),
      ),
    close: async () => {
      await Promise.allSettled(queues.map((q) => q.close()));
    },
  };
}

/**
 * Open requests past `dueAt`, by type: one query returning only the types of the overdue ones
 * (normally none or a few), reused for 30 s so a scrape every 15 s costs a scan every 30 s.
 */
export function overdueSource(
  overdueTypes: InstallationSources['overdueTypes'],
  now: () => number = Date.now,
): OverdueSource {
  let cached: { at: number; value: Record<string, number> } | undefined;
  return async () => {
    const at = now();
    if (cached && at - cached.at < OVERDUE_CACHE_MS) return cached.value;
    const types = await overdueTypes(new Date(at), 100_000);
    // Every type at 0 too: "none overdue" is a figure, not a missing one.
    const value: Record<string, number> = Object.fromEntries(REQUEST_TYPES.map((t) => [t, 0]));
    for (const type of types) value[type] = (value[type] ?? 0) + 1;
    cached = { at, value };
    return value;
  };
}

/**
 * The figures that belong to the whole installation rather than this process (queue depth,
 * overdue requests), read where /metrics is served. Several processes exporting them is fine:
 * the alert rules take the max per queue.
 */
export function watchInstallation(
  store: QueueStore,
  metrics: Metrics,
  sources: InstallationSources,
): { close(): Promise<void> } {
  const depth = queueDepthSource(store, sources.queueNames);
  metrics.watchQueues(depth.read);
  metrics.watchOverdue(overdueSource(sources.overdueTypes));
  return { close: () => depth.close() };
}
