import type { InboundMessage, OutboundMessage } from '../channels/types.js';
import type { Metrics } from './metrics.js';

/**
 * The engine's `handle`, counted: every inbound message by channel and whether it got replies.
 * `replied` is the denominator of the silent-channel alert (replies delivered ÷ messages that
 * had replies), so a reply lost after this point (skipped, dead-lettered, never sent) shows.
 */
export function countInbound(
  metrics: Metrics | undefined,
  handle: (inbound: InboundMessage) => Promise<OutboundMessage[]>,
): (inbound: InboundMessage) => Promise<OutboundMessage[]> {
  if (!metrics) return handle;
  const counter = metrics.inboundMessages;
  return async (inbound) => {
    let replies: OutboundMessage[];
    try {
      replies = await handle(inbound);
    } catch (err) {
      counter.inc({ channel: inbound.channel, outcome: 'error' });
      throw err;
    }
    counter.inc({ channel: inbound.channel, outcome: replies.length > 0 ? 'replied' : 'no_reply' });
    return replies;
  };
}
