export {
  type BulkCounts,
  bulkWriteInChunks,
  FERRETDB_CONCURRENT_WRITES,
  FERRETDB_WRITE_STATEMENTS,
  writeStatementsCap,
} from './chunked.js';
export { connectMongo } from './connection.js';
export type { AuditEvent } from './models/audit-event.js';
export {
  type ConsentEvent,
  type Customer,
  type ProcessingRestriction,
  RESTRICTION_SCOPES,
  type RestrictionScope,
} from './models/customer.js';
export type { DeadLetter, DeadLetterReason } from './models/dead-letter.js';
export {
  type Decision,
  type HistoryEntry,
  type PrivacyRequest,
  REQUEST_STATUSES,
  REQUEST_TYPES,
  type RequestFlag,
  type RequestStatus,
  type RequestType,
} from './models/privacy-request.js';
export type { Promo, PromoProgress } from './models/promo.js';
export {
  ORDER_STATUSES,
  type OrderStatus,
  PAYMENT_STATUSES,
  type PaymentStatus,
  type ServiceOrder,
} from './models/service-order.js';
export { STAFF_ROLES, type StaffAccount, type StaffRole } from './models/staff-account.js';
export type { Suppression } from './models/suppression.js';
export { createModels, type Models, syncIndexes } from './models.js';
export { assumeServerShape, type ServerShape, serverShape } from './server-shape.js';
