import type { AppContext } from '../app/context.js';
import { channelDefinitions } from '../channels/registry.js';
import { REQUEST_QUEUE } from '../requests/queue.js';
import { defaultPartitions, outboundQueueName } from '../workers/outbound-queues.js';
import { SLA_QUEUE } from '../workers/sla.js';

/** Every BullMQ queue hakdata runs in this configuration: requests, SLA, outbound partitions. */
export function runningQueueNames(ctx: AppContext): string[] {
  const outbound = channelDefinitions
    .filter((c) => c.enabled(ctx))
    .flatMap((c) =>
      Array.from({ length: defaultPartitions(c.name) }, (_, p) => outboundQueueName(c.name, p)),
    );
  return [REQUEST_QUEUE, SLA_QUEUE, ...outbound];
}
