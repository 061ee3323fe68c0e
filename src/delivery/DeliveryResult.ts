/** What happened to one batch in `deliverTo` or `teeBackup`. */
export interface DeliveryResult<T> {
  /**
   * `delivered`: every record was acknowledged by the destination. `failed-to-error-output`: some or all
   * records finally failed and were written, as failure records, to the error output (`failed`).
   */
  readonly status: 'delivered' | 'failed-to-error-output';
  /** The destination's name, e.g. `S3`. */
  readonly destination: string;
  /** The same id the destination saw on every attempt. */
  readonly batchId: string;
  /** The batch as it came in. */
  readonly records: readonly T[];
  /** Sum of the records' sizes. */
  readonly bytes: number;
  /** Attempts made at the destination (1 when the first one succeeded). */
  readonly attempts: number;
  /** `scheduler.now()` when the first attempt started. */
  readonly startedAtMs: number;
  /** From the first attempt to the final acknowledgement (including the error output's). */
  readonly durationMs: number;
  /** Where the delivered data went, as the destination reported it. */
  readonly location?: string | undefined;
  /** Records written to the error output (empty when delivered). */
  readonly failed: readonly T[];
  /** Where the failure records went. */
  readonly errorLocation?: string | undefined;
  /** The last error, when some records failed. */
  readonly errorCode?: string | undefined;
  readonly errorMessage?: string | undefined;
}
