/** Why an access package could not be built: a code for programs, a sentence for people. */
export class AccessPackageError extends Error {
  constructor(
    readonly code: 'INVALID_CUSTOMER_ID' | 'CUSTOMER_NOT_FOUND' | 'CUSTOMER_ERASED',
    message: string,
  ) {
    super(message);
    this.name = 'AccessPackageError';
  }
}
