import { settleAttached } from '../settlement/sideTable.js';

/**
 * Hands a record that a transformation chose to drop (Firehose's `Dropped`, or one a `filterRecords`
 * predicate refused) to the engine, which settles it as `dropped` so a replayable source can move past it.
 * With `settleRecords` (delivered, failed) the engine's one settlement path: operators pass a record on,
 * fail it to the error output (`writeToErrorOutput`), or drop it here; they never settle it themselves.
 */
export function dropRecord(record: unknown): void {
  settleAttached(record, 'dropped');
}
