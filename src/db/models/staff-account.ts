import { Schema, type Types } from 'mongoose';

export const STAFF_ROLES = ['agent', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export interface StaffAccount {
  _id: Types.ObjectId;
  /** Lowercase login name; also the audit actor `staff:<username>`. */
  username: string;
  role: StaffRole;
  /** `scrypt$N$r$p$salt$hash` (see src/staff/console/passwords.ts); never the password. */
  passwordHash: string;
  disabled: boolean;
  /** Telegram user id linked to this account, so the staff chat can accept its button presses. */
  telegramUserId?: string | null;
  /** Who created it: `staff:<username>`, `cli`, `demo`. */
  createdBy: string;
  lastLoginAt?: Date | null;
  passwordChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A person who may use the staff console. Agents decide requests; admins also manage staff and
 * read the audit log. Collection `staffaccounts`; holds no customer data.
 */
export const staffAccountSchema = new Schema<StaffAccount>(
  {
    username: { type: String, required: true, unique: true, lowercase: true, trim: true },
    role: { type: String, enum: STAFF_ROLES, required: true },
    passwordHash: { type: String, required: true },
    disabled: { type: Boolean, required: true, default: false },
    telegramUserId: { type: String, unique: true, sparse: true },
    createdBy: { type: String, required: true },
    lastLoginAt: { type: Date },
    passwordChangedAt: { type: Date, required: true, default: () => new Date() },
  },
  { timestamps: true, collection: 'staffaccounts' },
);
