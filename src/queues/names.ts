import type { AppContext } from '../app/context.js';
import { channelDefinitions } from '../channels/registry.js';
import { defaultPartitions, outboundQueueNames } from '../outbound/index.js';
import { REQUEST_QUEUE } from '../requests/index.js';
import { SLA_QUEUE } from '../workers/sla.js';

/** Every BullMQ queue hakdata runs in this configuration: requests, SLA, outbound partitions. */
export function runningQueueNames(ctx: AppContext): string[] {
  const outbound = channelDefinitions
    .filter((c) => c.enabled(ctx))
    .flatMap((c) => outboundQueueNames(c.name, defaultPartitions(c.name)));
  return [REQUEST_QUEUE, SLA_QUEUE, ...outbound];
}
