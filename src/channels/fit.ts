import type { ChannelCapabilities } from './registry.js';
import type { Button, OutboundMessage } from './types.js';

/**
 * Fitting a message to what a channel declares it shows (`capabilities.limits`), for every
 * channel alike: the outbox queues what comes out, one job per part, so each part is sent, retried
 * and kept in order like any other message. Channels keep their own finer choices (the Cloud
 * API's reply buttons or list), but never receive more than they declared.
 */
export type MessageLimits = ChannelCapabilities['limits'];

/** Splits at the last paragraph, line or word end before `max`; never inside a surrogate pair. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = Math.max(window.lastIndexOf('\n\n'), 0);
    if (cut < max / 2) cut = Math.max(window.lastIndexOf('\n'), cut);
    if (cut < max / 2) cut = Math.max(window.lastIndexOf(' '), cut);
    if (cut < max / 2) {
      cut = max;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^\s+/, '');
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/**
 * A menu as numbered lines under its text: what a channel shows when it has fewer buttons than
 * the menu has options. The engine takes a typed number as the choice of that option.
 */
export function numberedOptions(text: string, buttons: readonly Button[]): string {
  const options = buttons.map((b, i) => `${i + 1}. ${b.label}`).join('\n');
  return text ? `${text}\n\n${options}` : options;
}

/** A label longer than the channel shows, cut with an ellipsis (the button's value is untouched). */
function fitLabel(label: string, max: number): string {
  if (label.length <= max) return label;
  let cut = max - 1;
  const code = label.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${label.slice(0, cut).trimEnd()}…`;
}

/**
 * The message as the channel can show it, in order:
 * - a text longer than `limits.text` becomes several texts, split at paragraph, line or word ends;
 *   a buttons message or a contact request keeps its buttons on the last part (under the end of
 *   the text) and a reply or mention placement on the first;
 * - a menu with more options than `limits.buttons` becomes numbered lines of text;
 * - a button label longer than `limits.buttonLabel` is cut with an ellipsis.
 * An edit (`replaces`) is one message and is never split; documents pass as they are.
 */
export function fitMessage(message: OutboundMessage, limits: MessageLimits): OutboundMessage[] {
  switch (message.kind) {
    case 'document':
      return [message];
    case 'contact_request': {
      const parts = splitText(message.text, limits.text);
      const last = parts.pop() ?? '';
      return [...parts.map((text): OutboundMessage => ({ kind: 'text', text })), { ...message, text: last }];
    }
    case 'text':
      return splitPlaced(message, limits);
    case 'buttons': {
      if (message.buttons.length > limits.buttons) {
        const { buttons, ...rest } = message;
        return splitPlaced({ ...rest, kind: 'text', text: numberedOptions(message.text, buttons) }, limits);
      }
      const buttons = message.buttons.map((b) => ({ ...b, label: fitLabel(b.label, limits.buttonLabel) }));
      return splitPlaced({ ...message, buttons }, limits);
    }
  }
}

/** A text or buttons message split to the text limit: placement on the first part, buttons on the last. */
function splitPlaced(
  message: Extract<OutboundMessage, { kind: 'text' | 'buttons' }>,
  limits: MessageLimits,
): OutboundMessage[] {
  if (message.text.length <= limits.text || message.replaces) return [message];
  const parts = splitText(message.text, limits.text);
  const { replyTo, askReplyFrom } = message;
  const placement = { ...(replyTo ? { replyTo } : {}), ...(askReplyFrom ? { askReplyFrom } : {}) };
  return parts.map((text, i): OutboundMessage => {
    const first = i === 0 ? placement : {};
    if (i === parts.length - 1 && message.kind === 'buttons')
      return { kind: 'buttons', text, buttons: message.buttons, ...first };
    return { kind: 'text', text, ...first };
  });
}
