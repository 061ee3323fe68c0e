/** A request the listener refuses: the status to answer with and the `errorMessage` saying why. Internal. */
export class Rejection extends Error {
  override readonly name = 'Rejection';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
