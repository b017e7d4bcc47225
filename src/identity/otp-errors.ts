/** Why an OTP call could not be served: a code for programs, a sentence for people and logs. */
export class OtpError extends Error {
  constructor(
    readonly code:
      | 'PHONE_INVALID'
      | 'INVALID_INPUT'
      | 'PROVIDER_REFUSED'
      | 'PROVIDER_MISCONFIGURED'
      | 'DELIVERY_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'OtpError';
  }
}
