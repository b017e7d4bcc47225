export { maskAnyPhone, maskEmail, maskFreeText, maskName, maskPhone, maskString } from './maskers.js';
export { kindOf, type MaskKind, PERSONAL_FIELDS } from './schema.js';
export { maskDetails, maskForStaff } from './views.js';
