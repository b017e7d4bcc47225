export * from './api.js';
export { changedFields, type UpdateChanges, updateChangesSchema } from './changes.js';
export { defaultFlagRules, evaluateFlags, type FlagRule } from './flags.js';
export { notices, renderNotice, toLocale } from './notices.js';
export { createRequestQueue, enqueueRequest, REQUEST_QUEUE, type RequestQueue } from './queue.js';
export { newRef, normalizeRef, REF_PATTERN } from './ref.js';
export { contactLine, createRequestService, type RequestServiceDeps, slaHoursFor } from './service.js';
export { outboxStaffNotifier } from './staff-notices.js';
export { canTransition, isTerminal, OPEN_STATUSES, TRANSITIONS, transition } from './states.js';
