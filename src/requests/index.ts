/**
 * The requests module as other modules see it: the request service (the only writer of a status,
 * through `transition()`), the read model, the payload union, and what workers need to apply a
 * request. Import from here, not from the files behind it (test/unit/import-boundaries.test.ts).
 */
export * from './api.js';
export { changedFields, UPDATABLE_FIELDS, type UpdateChanges, updateChangesSchema } from './changes.js';
export { defaultFlagRules, evaluateFlags, type FlagDeps, type FlagHit, type FlagRule } from './flags.js';
export { withCustomerLock, withRequestLock } from './lock.js';
export { type Locale, type NoticeId, type NoticeParams, notices, renderNotice, toLocale } from './notices.js';
export { openOrderFilter, unpaidOrderFilter } from './order-obligations.js';
export {
  type ConsentChanges,
  consentChangesSchema,
  type PayloadOf,
  parsePayload,
  payloadOf,
  type RequestPayload,
  requestPayloadSchema,
} from './payload.js';
export {
  createRequestQueue,
  enqueueRequest,
  REQUEST_QUEUE,
  type RequestJobData,
  type RequestQueue,
} from './queue.js';
export { createRequestReadModel, type JobbedRequest, type RequestReadModel } from './read-model.js';
export { claimReminders, countResumedAttempt, restoreReminders, scrubOtherRequests } from './records.js';
export { newRef, normalizeRef, REF_PATTERN } from './ref.js';
export { LIFECYCLE_AUDIT_ACTIONS, REQUEST_TYPE_REGISTRY, type RequestTypeSpec } from './registry.js';
export {
  isStaffActor,
  RESTRICTION_REASON_MAX,
  type RestrictChanges,
  restrictChangesSchema,
  STAFF_LIFT_REASON_MAX,
} from './restriction.js';
export { liftRestrictionByStaff, type RestrictionLiftDeps } from './restriction-lift.js';
export {
  type BusinessContact,
  contactLine,
  createRequestService,
  type RequestServiceContext,
  type RequestServiceDeps,
  type RequestServiceImpl,
  slaHoursFor,
} from './service.js';
export {
  auditClosed,
  auditClosing,
  canTransition,
  closingUnset,
  isTerminal,
  OPEN_STATUSES,
  type PendingClose,
  type RequestAuditDeps,
  TRANSITIONS,
  type TransitionDeps,
  transition,
  writePendingAudit,
} from './states.js';
export {
  chatSuppressionHash,
  liftOptOut,
  phoneSuppressionHash,
  type SuppressionSecret,
  type SuppressionStore,
  suppress,
} from './suppression.js';
