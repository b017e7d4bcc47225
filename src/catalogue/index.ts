export { flagReason, isCataloguedFlag } from './flags.js';
export {
  FIELD_LABELS,
  fieldLabel,
  type LabelledField,
  sentenceCase,
  statusLabel,
  statusLabels,
  typeLabel,
  typeLabels,
} from './labels.js';
export { isLocale, LOCALES, type Locale, localeSchema, toLocale } from './locale.js';
