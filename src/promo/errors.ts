export type PromoErrorCode =
  | 'PROMO_EXISTS'
  | 'PROMO_NOT_FOUND'
  | 'PROMO_BUSY'
  | 'PROMO_FILE_CHANGED'
  | 'UNKNOWN_CHANNEL'
  | 'NO_CHANNEL';

/** A promo that cannot be sent as asked, with a sentence that says what to do instead. */
export class PromoError extends Error {
  constructor(
    readonly code: PromoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PromoError';
  }
}
