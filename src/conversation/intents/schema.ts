import { z } from 'zod';

/**
 * The format of `flows/intents.yaml`: word lists staff extend without code. Only the shape is
 * checked here; what the lists mean together (unknown groups, a phrase claimed by two intents,
 * flows and texts that do not exist) is checked by `compileLexicon`.
 */

/** Every intent the engine knows what to do with; another name in the file is a mistake. */
export const INTENT_NAMES = [
  'opt_out',
  'status',
  'update',
  'delete',
  'access',
  'subscribe',
  'policy',
  'help',
  'business',
  'restrict',
  'resume',
] as const;
export type IntentName = (typeof INTENT_NAMES)[number];

/** The fields of the update flow (its `set: { field: … }` values) a sentence may name. */
export const UPDATE_FIELDS = ['name', 'address', 'email', 'paymentMethod', 'phone'] as const;
export type UpdateField = (typeof UPDATE_FIELDS)[number];

const EMPTY = 'is empty: list at least one entry, or leave the key out';
const word = z.string().trim().min(1, 'an empty word').max(80);
const list = z.array(word).min(1, EMPTY);
const textKey = z.string().regex(/^[a-z][a-z0-9_.]*$/, 'a locale key such as understood.delete');
const flowId = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a flow id such as delete');

const phrases = z.strictObject({ phrases: list.optional(), refused: list.optional() });

const field = z.strictObject({ group: z.string().min(1), understood: textKey.optional() });

export const intentSchema = z.strictObject({
  flow: flowId,
  /** Said before the flow's first question: what the bot understood. */
  understood: textKey.optional(),
  phrases: list.optional(),
  /** Count only after a refusal ("tidak mau …"). */
  refused: list.optional(),
  /** opt_out only: the whole message is one of these. */
  words: list.optional(),
  /** opt_out only: acted on at once. */
  clear: phrases.optional(),
  /** opt_out only: one yes/no question first. */
  probable: phrases.optional(),
  /** opt_out only: any of these in the message make a clear revocation probable. */
  unsure_with: list.optional(),
  /** update only: a field named in the message skips the "which data?" question. */
  fields: z.record(z.string(), field).optional(),
});
export type IntentSpec = z.infer<typeof intentSchema>;

export const intentsFileSchema = z.strictObject({
  spellings: z.record(z.string(), word).default({}),
  particles: z.array(word).default([]),
  expressions: z.array(word).default([]),
  negations: list,
  refusals: list,
  not_negating: z.array(word).default([]),
  breaks: z.array(word).default([]),
  groups: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a group name such as marketing'), list),
  /** Words only one language uses: a first message without a platform hint is answered in its language. */
  languages: z.strictObject({ id: list, en: list }).optional(),
  // Names are checked by compileLexicon, so an unknown one is reported by name, not as a schema error.
  intents: z.record(z.string(), intentSchema),
});
export type IntentsFile = z.infer<typeof intentsFileSchema>;
