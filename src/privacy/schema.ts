/**
 * The one privacy schema: every personal field hakdata stores or passes, by the name it carries
 * in documents, requested changes and audit details, and the kind that decides how it is masked.
 * Every masker reads it (staff cards, the console, the audit trail, reports), so a field is
 * masked the same way wherever it shows, and a new field is masked by adding one line here.
 */
export type MaskKind =
  /** A person's name: initials. */
  | 'name'
  /** A phone number in any shape: country and operator prefix, last three digits. */
  | 'phone'
  | 'email'
  /** Words a person wrote about themselves (address, payment method): initials and length. */
  | 'freeText'
  /** Never shown in any form: chat and user ids, message text, codes, credentials. */
  | 'secret'
  /** Our own ids (a promotion, a message we sent): shown as they are. */
  | 'reference';

export const PERSONAL_FIELDS: Readonly<Record<string, MaskKind>> = {
  name: 'name',
  firstName: 'name',
  lastName: 'name',
  fullName: 'name',
  phone: 'phone',
  phoneNumber: 'phone',
  newPhone: 'phone',
  oldPhone: 'phone',
  msisdn: 'phone',
  email: 'email',
  newEmail: 'email',
  oldEmail: 'email',
  address: 'freeText',
  paymentMethod: 'freeText',
  chatId: 'secret',
  senderId: 'secret',
  userId: 'secret',
  text: 'secret',
  body: 'secret',
  caption: 'secret',
  otp: 'secret',
  code: 'secret',
  token: 'secret',
  secret: 'secret',
  password: 'secret',
  passwordHash: 'secret',
  // Consent proof: which promotion and which of our messages a customer answered.
  promoId: 'reference',
  messageId: 'reference',
};

export function kindOf(field: string): MaskKind | undefined {
  return Object.hasOwn(PERSONAL_FIELDS, field) ? PERSONAL_FIELDS[field] : undefined;
}
