/**
 * The pipeline's last word when records could be delivered neither to their destination nor to an error
 * output (or none was configured). It carries the records, so nothing is lost silently: a replayable
 * source has not checkpointed them and will read them again on restart.
 */
export class UndeliverableRecordsError<T = unknown> extends Error {
  override readonly name = 'UndeliverableRecordsError';

  constructor(
    /** The records that reached neither place. */
    readonly records: readonly T[],
    /** The last error code, e.g. `S3.InternalError`. */
    readonly errorCode: string,
    /** The last error message. */
    readonly errorMessage: string,
    /** The destination that failed, and the error output if one was tried. */
    readonly destination: string,
  ) {
    super(`${records.length} record(s) could not be delivered to ${destination}: ${errorCode}: ${errorMessage}`);
  }
}
