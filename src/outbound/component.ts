import type { Component } from '../app/component.js';
import { createOutbox, type OutboxDeps } from './outbox.js';
import type { Outbox } from './types.js';
import {
  createStatelessOutboundComponent,
  type OutboundWorkerOptions,
  type StatelessOutboundDeps,
} from './worker.js';

/** What the sender does after a dead letter or a send; given the outbox, so a hook may queue messages itself. */
export type OutboundHooks = (outbox: Outbox) => Pick<OutboundWorkerOptions, 'onDeadLetter' | 'onSent'>;

/** The outbox's part and the sender's (its channels' adapters included). */
export type OutboundComponentDeps = OutboxDeps & StatelessOutboundDeps;

/**
 * The worker role's sender for stateless channels (sendFrom 'any'), with its own outbox for the
 * hooks (a dead letter told to staff goes through the outbox too: a failed staff notice is not
 * re-reported). The hooks come from the caller: outbound knows nothing of staff or promotions.
 */
export function createOutboundComponent(
  ctx: OutboundComponentDeps,
  hooks: OutboundHooks,
): Component | undefined {
  const outbox = createOutbox(ctx);
  const worker = createStatelessOutboundComponent(ctx, hooks(outbox));
  if (!worker) {
    void outbox.close();
    return undefined;
  }
  return {
    ...worker,
    async stop() {
      await worker.stop();
      await outbox.close();
    },
  };
}
