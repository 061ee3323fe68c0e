import type { SettlementOutcome } from './Settlement.js';
import { settleAttached } from './sideTable.js';

/**
 * Settles the record's settlement, if it has one, with `outcome`; returns whether this call settled it.
 *
 * For user code that consumes records itself (a custom sink, a filter that drops records): call it once the
 * record is safely stored (`delivered`), deliberately discarded (`dropped`) or written to an error output
 * (`failed`), so that a replayable source can checkpoint past it. Records without a settlement (from a
 * plain Observable) are ignored.
 *
 * ## Example
 * ```ts
 * import { filter } from 'rxjs';
 * import { settleRecord } from 'rx-firehose';
 *
 * records$.pipe(filter((r) => isWanted(r) || (settleRecord(r, 'dropped'), false)));
 * ```
 */
export function settleRecord(record: unknown, outcome: SettlementOutcome): boolean {
  return settleAttached(record, outcome);
}
