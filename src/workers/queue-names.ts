import type { AppContext } from '../app/context.js';
import { channelDefinitions } from '../channels/registry.js';
import type { Models } from '../db/index.js';
import type { InstallationSources } from '../metrics/sources.js';
import { defaultPartitions, outboundQueueNames } from '../outbound/index.js';
import { createRequestReadModel, REQUEST_QUEUE } from '../requests/index.js';
import { SLA_QUEUE } from './sla.js';

/** Every BullMQ queue hakdata runs in this configuration: requests, SLA, outbound partitions. */
export function runningQueueNames(ctx: Pick<AppContext, 'config'>): string[] {
  const outbound = channelDefinitions
    .filter((c) => c.enabled(ctx))
    .flatMap((c) => outboundQueueNames(c.name, defaultPartitions(c.name)));
  return [REQUEST_QUEUE, SLA_QUEUE, ...outbound];
}

/** What the installation's sources are built from: the config (which channels run) and the requests. */
export interface InstallationDeps extends Pick<AppContext, 'config'> {
  models: Pick<Models, 'PrivacyRequest'>;
}

/** What the installation-wide metrics are given to read at scrape time (metrics/sources.ts). */
export function installationSources(ctx: InstallationDeps): InstallationSources {
  const requests = createRequestReadModel(ctx.models);
  return {
    queueNames: runningQueueNames(ctx),
    overdueTypes: (now, limit) => requests.overdueTypes(now, limit),
  };
}
