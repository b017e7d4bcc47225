import type { Connection, Model, Schema } from 'mongoose';
import { type AuditEvent, auditEventSchema } from './models/audit-event.js';
import { type Customer, customerSchema } from './models/customer.js';
import { type DeadLetter, deadLetterSchema } from './models/dead-letter.js';
import { type PrivacyRequest, privacyRequestSchema } from './models/privacy-request.js';
import { type Promo, promoSchema } from './models/promo.js';
import { type PromoDelivery, promoDeliverySchema } from './models/promo-delivery.js';
import { type PromoMessage, promoMessageSchema } from './models/promo-message.js';
import { type ServiceOrder, serviceOrderSchema } from './models/service-order.js';
import { type StaffAccount, staffAccountSchema } from './models/staff-account.js';
import { type Suppression, suppressionSchema } from './models/suppression.js';

export interface Models {
  Customer: Model<Customer>;
  ServiceOrder: Model<ServiceOrder>;
  PrivacyRequest: Model<PrivacyRequest>;
  AuditEvent: Model<AuditEvent>;
  Suppression: Model<Suppression>;
  DeadLetter: Model<DeadLetter>;
  Promo: Model<Promo>;
  PromoDelivery: Model<PromoDelivery>;
  PromoMessage: Model<PromoMessage>;
  StaffAccount: Model<StaffAccount>;
}

/** Registers the models on one connection (not mongoose's global), so tests can own a database each. */
export function createModels(conn: Connection): Models {
  // Typed through `unknown`: letting mongoose infer model types from schemas is slow to compile.
  const get = <T>(name: string, schema: unknown): Model<T> =>
    (conn.models[name] as Model<T> | undefined) ??
    (conn.model(name, schema as Schema) as unknown as Model<T>);
  return {
    Customer: get<Customer>('Customer', customerSchema),
    ServiceOrder: get<ServiceOrder>('ServiceOrder', serviceOrderSchema),
    PrivacyRequest: get<PrivacyRequest>('PrivacyRequest', privacyRequestSchema),
    AuditEvent: get<AuditEvent>('AuditEvent', auditEventSchema),
    Suppression: get<Suppression>('Suppression', suppressionSchema),
    DeadLetter: get<DeadLetter>('DeadLetter', deadLetterSchema),
    Promo: get<Promo>('Promo', promoSchema),
    PromoDelivery: get<PromoDelivery>('PromoDelivery', promoDeliverySchema),
    PromoMessage: get<PromoMessage>('PromoMessage', promoMessageSchema),
    StaffAccount: get<StaffAccount>('StaffAccount', staffAccountSchema),
  };
}

/** Builds every index now, so a unique constraint holds from the first write. */
export async function syncIndexes(models: Models): Promise<void> {
  for (const model of Object.values(models) as Model<unknown>[]) await model.createIndexes();
}
