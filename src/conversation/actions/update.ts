import { UPDATE_FIELDS } from '../intents/index.js';
import { type ActionResult, defineAction } from './types.js';

/**
 * The field a sentence named ("ganti email"), so the update flow asks for it straight after
 * verification instead of asking which data; `none` when the sentence named none.
 */
export const namedField = defineAction({
  name: 'update.named_field',
  outcomes: [...UPDATE_FIELDS, 'none'],
  texts: [],
  async run({ session }): Promise<ActionResult> {
    const field = session.vars.field;
    return { outcome: field && (UPDATE_FIELDS as readonly string[]).includes(field) ? field : 'none' };
  },
});
