import { z } from 'zod';

/**
 * The format of `flows/*.yaml`. Flows are data: steps say, ask, choose, confirm, call actions
 * registered in TypeScript by name, and move on. Texts are keys into `flows/locales/<lang>.yaml`.
 *
 * A target is a step id of the same flow, `flow:<id>` to switch flows, or `end`.
 */
const id = z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lowercase letters, digits and _');
const textKey = z.string().regex(/^[a-z][a-z0-9_.]*$/, 'a locale key such as menu.prompt');
const target = z
  .string()
  .regex(/^(end|[a-z][a-z0-9_]*|flow:[a-z][a-z0-9_]*)$/, 'a step id, flow:<id> or end');
const varName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, 'a variable name');

export const INPUT_KINDS = ['phone', 'otp', 'email', 'name', 'address', 'ref', 'text', 'reason'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

const say = z.strictObject({ type: z.literal('say'), text: textKey, next: target.default('end') });

const shortcut = z.strictObject({ label: textKey, next: target });

const ask = z.strictObject({
  type: z.literal('ask'),
  text: textKey,
  input: z.enum(INPUT_KINDS),
  save: varName,
  /** Said when the answer does not validate; a generic sentence for the input kind otherwise. */
  invalid: textKey.optional(),
  /**
   * The question when it is put again (the language changed, a stale button, an answer that was
   * none): a step reached by a wrong answer ("That code does not match") asks, it does not repeat
   * the reproach. `text` when not given.
   */
  again: textKey.optional(),
  /** Offer a "share my contact" button where the channel has one (Telegram). */
  contactButton: textKey.optional(),
  /** Buttons that leave the question (e.g. "send the code again"); matched by label, never by number. */
  shortcuts: z.array(shortcut).max(3).optional(),
  next: target,
});

const option = z.strictObject({
  label: textKey,
  next: target,
  /** Variables set when this option is chosen. */
  set: z.record(varName, z.string()).optional(),
});
const choose = z.strictObject({
  type: z.literal('choose'),
  text: textKey,
  options: z.array(option).min(1).max(10),
});

const confirm = z.strictObject({ type: z.literal('confirm'), text: textKey, yes: target, no: target });

const action = z.strictObject({
  type: z.literal('action'),
  action: z.string().regex(/^[a-z]+\.[a-z_]+$/, 'an action name such as identity.send_code'),
  args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Outcome → target. Every outcome the action can return must be mapped. */
  on: z.record(z.string(), target),
});

/** Runs another flow; when it ends normally, continues at `next`. */
const call = z.strictObject({ type: z.literal('call'), flow: id, next: target });

const goto = z.strictObject({ type: z.literal('goto'), to: target });

const end = z.strictObject({
  type: z.literal('end'),
  text: textKey.optional(),
  /** Ends the calling flows too (e.g. verification failed: do not go on with the request). */
  abort: z.boolean().optional(),
  /** Show the main menu's buttons after the closing text. */
  menu: z.boolean().optional(),
});

export const stepSchema = z.discriminatedUnion('type', [say, ask, choose, confirm, action, call, goto, end]);
export type Step = z.infer<typeof stepSchema>;

export const flowSchema = z.strictObject({
  id,
  description: z.string().optional(),
  /** Words that start this flow from anywhere outside a question (first word of the message). */
  keywords: z
    .strictObject({ id: z.array(z.string()).default([]), en: z.array(z.string()).default([]) })
    .optional(),
  /** Put the first word after the keyword in this variable (`status PR-7K3M9Q` → ref). */
  keywordArg: varName.optional(),
  start: id,
  steps: z.record(id, stepSchema),
});
export type Flow = z.infer<typeof flowSchema>;
