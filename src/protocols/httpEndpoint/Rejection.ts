/** A request the receiving end refuses: the status to answer with and the response's `errorMessage` saying why. Internal. */
export class Rejection extends Error {
  override readonly name = 'Rejection';

  constructor(
    readonly status: number,
    message: string,
    /** Answer, then close the connection instead of reading the rest of the body (unauthenticated or over budget). */
    readonly close = false,
  ) {
    super(message);
  }
}
