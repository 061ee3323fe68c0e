/**
 * Records whose settlement was lost: their source waits for them to settle (its in-flight budget holds
 * their bytes, a Kinesis checkpoint cannot pass them), but nothing can settle them any more. Left alone,
 * the pipeline would stop reading forever without an error.
 *
 * The usual cause is an operator that replaces records with copies: `map(r => ({ ...r, data: f(r.data) }))`
 * makes a new object, and a record's settlement does not travel with a copy (it is not an enumerable
 * field). Use `mapRecords` from `rx-firehose/operators` (or `carrySettlement(old, copy)`), and settle the
 * records a `filter` drops with `settleRecord(record, 'dropped')` (or use `filterRecords`).
 *
 * ## Example
 * ```ts
 * import { LostSettlementError } from 'rx-firehose';
 * pipeline$.subscribe({ error: (err) => err instanceof LostSettlementError && console.error(err.recordIds) });
 * ```
 */
export class LostSettlementError extends Error {
  override readonly name = 'LostSettlementError';

  constructor(
    /** Ids of the records whose settlement was lost (up to 10 shown in the message). */
    readonly recordIds: readonly string[],
    /** Where it was noticed, e.g. `deliverTo`. */
    readonly where: string,
  ) {
    super(
      `${where}: ${recordIds.length} record(s) lost their settlement (${recordIds.slice(0, 10).join(', ')}${recordIds.length > 10 ? ', …' : ''}), so their source ` +
        'would wait for them forever. Likely cause: an operator replaced records with copies, e.g. map(r => ({ ...r, data: f(r.data) })); ' +
        "use mapRecords from 'rx-firehose/operators' (or carrySettlement(old, copy)), and settle records a filter drops with settleRecord(record, 'dropped').",
    );
  }
}
