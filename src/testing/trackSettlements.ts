import { Settlement, type SettlementOutcome } from '../settlement/Settlement.js';
import { attachSettlement } from '../settlement/sideTable.js';

/** The settlements of tracked records, as a source would see them. */
export interface SettlementLog {
  /** Every settlement in order: which record (by index) and how, with the time it was told. */
  readonly events: Array<{ readonly index: number; readonly outcome: SettlementOutcome; readonly atMs: number }>;
  /** How often each record was settled (exactly once is right). */
  count(index: number): number;
  /** Records not settled yet. */
  unsettled(): number[];
}

/**
 * Attaches a settlement to each record, as a replayable source does, and logs how each was settled, so a
 * test can check that every record is settled exactly once, and when.
 *
 * ## Example
 * ```ts
 * import { trackSettlements, recordOfSize } from 'rx-firehose/testing';
 * const records = [recordOfSize(10), recordOfSize(20)];
 * const log = trackSettlements(records, () => scheduler.now());
 * // … run the pipeline …
 * expect(log.unsettled()).toEqual([]);
 * ```
 */
export function trackSettlements(records: readonly object[], now: () => number = () => 0): SettlementLog {
  const events: Array<{ index: number; outcome: SettlementOutcome; atMs: number }> = [];
  const counts = new Array<number>(records.length).fill(0);
  records.forEach((record, index) =>
    attachSettlement(
      record,
      new Settlement((outcome) => {
        counts[index]!++;
        events.push({ index, outcome, atMs: now() });
      }),
    ),
  );
  return {
    events,
    count: (index) => counts[index] ?? 0,
    unsettled: () => counts.flatMap((c, i) => (c === 0 ? [i] : [])),
  };
}
