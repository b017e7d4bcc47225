/**
 * Outbound messaging: every message to a customer or to staff is queued by the outbox, sent in
 * order per chat by the outbound worker, and dead-lettered when it cannot go. What other modules
 * may use; the queue layout, sealing and job shapes stay inside this folder.
 */
export { createOutboundComponent, type OutboundComponentDeps, type OutboundHooks } from './component.js';
export {
  type DeadLetterDeps,
  type DeadLetterHook,
  type DeadLetterNotice,
  platformCodeOf,
  recordDeliveryFailure,
  sanitizeDetail,
} from './dead-letter.js';
export {
  createOutbox,
  type OutboxDeps,
  OutboxError,
  type OutboxHandle,
  type OutboxOptions,
  type OutboxStats,
} from './outbox.js';
export { type OutboundPurge, type OutboundPurgeDeps, purgeChatOutbound } from './purge.js';
export { defaultPartitions, outboundQueueNames, type PartitionRule } from './queues.js';
export type { OutboundMeta, Outbox } from './types.js';
export {
  createOutboundWorker,
  createStatelessOutboundComponent,
  type OutboundWorker,
  type OutboundWorkerDeps,
  type OutboundWorkerOptions,
  type SentNotice,
  type StatelessOutboundDeps,
} from './worker.js';
