import type { OutboundMeta } from '../outbound/index.js';
import type { Metrics } from './metrics.js';

/** What the outbound worker knows of a message that carries no personal data. */
interface MessageFacts {
  channel: string;
  meta: Pick<OutboundMeta, 'purpose' | 'inboundAt'>;
  part: { index: number };
}

const purposeOf = (meta: Pick<OutboundMeta, 'purpose'>) => meta.purpose ?? 'message';

/**
 * A message delivered. The first part of a reply also closes its inbound message's wait: reply
 * latency observed, and the message counted as answered (the histogram's count).
 */
export function countSent(metrics: Metrics | undefined, message: MessageFacts, now = Date.now()): void {
  if (!metrics) return;
  metrics.outboundSent.inc({ channel: message.channel, purpose: purposeOf(message.meta) });
  const { inboundAt } = message.meta;
  if (message.meta.purpose === 'reply' && message.part.index === 0 && inboundAt !== undefined)
    metrics.replyLatency.observe({ channel: message.channel }, Math.max(0, now - inboundAt) / 1000);
}

export function countSendFailure(metrics: Metrics | undefined, message: MessageFacts, code: string): void {
  metrics?.outboundSendFailures.inc({ channel: message.channel, purpose: purposeOf(message.meta), code });
}

export function countDeadLetter(metrics: Metrics | undefined, message: MessageFacts, reason: string): void {
  metrics?.outboundDeadLetters.inc({ channel: message.channel, purpose: purposeOf(message.meta), reason });
}
