/** What a source has in flight: an `InFlightBudget`. */
export interface InFlight {
  readonly inFlightRecords: number;
  readonly inFlightBytes: number;
}

/** What the source had in flight, this value included, when it emitted the value that filled its budget. */
let filling: { readonly records: number; readonly bytes: number } | undefined;

/**
 * Runs `emit`, a source's synchronous emission of the record that fills its in-flight budget, telling the
 * buffers that receive it in that same call ({@link budgetFull}) that nothing more comes until records settle,
 * and how many records and bytes the source has in flight now (`budget`, that record included).
 *
 * A buffer that kept its partial batch then, holding everything in flight, would hold records that cannot
 * settle, so their source would read nothing more until the batch's `maxMs` passed. Operators between the
 * source and the buffer that pass values on synchronously (`map`, `filter`, `toRecords`) pass the signal on
 * with them; one that re-emits later does not, and the buffer then waits for its `maxMs`.
 */
export function emitFillingBudget(budget: InFlight, emit: () => void): void {
  const was = filling;
  filling = { records: budget.inFlightRecords, bytes: budget.inFlightBytes };
  try {
    emit();
  } finally {
    filling = was;
  }
}

/**
 * Whether a buffer holding `records` records of `bytes` bytes must flush them now: the value received now
 * filled its source's in-flight budget (see {@link emitFillingBudget}), and the buffer holds at least half of
 * what is in flight, by records or by bytes, or at least three quarters of its own batch limit (`maxBytes`,
 * `maxRecords`).
 *
 * Reading waits until records settle. When less than half is buffered here, more than half is further down
 * the pipeline, where it settles without more input, and a batch that is small yet goes on filling as it
 * does: flushing it anyway would cut a small batch every time a busy pipeline's budget fills (a slow
 * destination keeps it full). When half or more is here, and in particular when all of it is (a budget
 * smaller than one batch), only flushing lets the source go on. A batch three quarters full goes out too: with
 * a budget of a little less than two batches (16,384 records of `fromLines` are that for lines of 112–128
 * bytes), waiting would deliver one batch at a time, the next one filling only once the last settled, where
 * flushing keeps two in delivery at once. Below three quarters it waits: a budget of 1.5 batches or less would
 * otherwise turn every other batch into a half one (more, smaller objects), for little speed.
 */
export function budgetFull(
  records: number,
  bytes: number,
  maxBytes = Number.POSITIVE_INFINITY,
  maxRecords = Number.POSITIVE_INFINITY,
): boolean {
  if (filling === undefined) return false;
  if (4 * bytes >= 3 * maxBytes || 4 * records >= 3 * maxRecords) return true;
  // A source without a record limit counts no records (0): bytes alone tell then.
  return (filling.records > 0 && 2 * records >= filling.records) || 2 * bytes >= filling.bytes;
}
