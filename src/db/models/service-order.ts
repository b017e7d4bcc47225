import { Schema, type Types } from 'mongoose';

export const ORDER_STATUSES = ['scheduled', 'in_progress', 'completed', 'cancelled'] as const;
export const PAYMENT_STATUSES = ['unpaid', 'paid', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface ServiceOrder {
  _id: Types.ObjectId;
  orderNo: string;
  customerId: Types.ObjectId;
  service: string;
  status: OrderStatus;
  scheduledAt: Date;
  completedAt?: Date | null;
  address?: string | null;
  amount: number;
  paymentStatus: PaymentStatus;
  paymentMethod?: string | null;
  notes?: string | null;
  anonymizedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const serviceOrderSchema = new Schema<ServiceOrder>(
  {
    orderNo: { type: String, required: true, unique: true },
    customerId: { type: Schema.Types.ObjectId, required: true, index: true },
    service: { type: String, required: true },
    status: { type: String, enum: ORDER_STATUSES, required: true },
    scheduledAt: { type: Date, required: true },
    completedAt: { type: Date },
    address: { type: String },
    /** Rupiah, integer. */
    amount: {
      type: Number,
      required: true,
      min: 0,
      validate: { validator: Number.isInteger, message: 'amount must be whole rupiah' },
    },
    paymentStatus: { type: String, enum: PAYMENT_STATUSES, required: true },
    paymentMethod: { type: String },
    notes: { type: String },
    /** Set when the owner was erased and the order reduced to what obligations need. */
    anonymizedAt: { type: Date },
  },
  { timestamps: true, collection: 'serviceorders' },
);
