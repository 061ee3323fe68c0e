import type { Settlement, SettlementOutcome } from '../settlement/Settlement.js';
import { settleBatch } from '../settlement/settleBatch.js';
import { settleAttached } from '../settlement/sideTable.js';

/**
 * The engine's one settlement path: settles each of `records` with `outcome` (records without a
 * settlement are skipped). `deliverBatch` calls it once the last stage acknowledged a batch or its error
 * output holds the failures; `writeToErrorOutput` once failure records are written (`dropRecord` for
 * records a transformation dropped). Operators never settle records themselves: they hand them here.
 *
 * `settlementAt` finds record `i`'s settlement when it is not the one attached to the record (a
 * `teeBackup` part); `outcomeAt`, when outcomes differ per record, overrides `outcome`. The sources do their
 * accounting once for the whole batch ({@link settleBatch}): one release of the budget, one checkpoint move.
 */
export function settleRecords(
  records: readonly unknown[],
  outcome: SettlementOutcome,
  settlementAt?: ((index: number) => Settlement | undefined) | undefined,
  outcomeAt?: ((index: number) => SettlementOutcome) | undefined,
): void {
  settleBatch(() => {
    for (let i = 0; i < records.length; i++) {
      const how = outcomeAt === undefined ? outcome : outcomeAt(i);
      if (settlementAt === undefined) settleAttached(records[i], how);
      else settlementAt(i)?.settle(how);
    }
  });
}
