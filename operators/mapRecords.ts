import { map, type OperatorFunction } from 'rxjs';
import { carrySettlement } from '../src/settlement/carrySettlement.js';

/**
 * Transforms each record into a new one that keeps the original's settlement: `map` for records.
 *
 * <span class="informal">Use it instead of `map(r => ({ ...r, data: f(r.data) }))`: a copy made by `map` drops the settlement and stalls a replayable source.</span>
 *
 * ```
 * source:  -a-b-c-|       (a, b, c carry settlements from their source)
 * result:  -A-B-C-|       A = project(a), carrying a's settlement (and so on)
 * ```
 *
 * A record's settlement lives outside its enumerable fields, so a copy (`{ ...r }`, `structuredClone`)
 * does not have it: the source would wait for the original to settle forever (`deliverTo` and `teeBackup`
 * notice such copies and error with `LostSettlementError`). `mapRecords` moves the settlement from each
 * record to what `project` returns (nothing moves when it returns the record itself). A `project` that
 * throws, or returns something that is not an object, errors the stream.
 *
 * ## Example
 * ```ts
 * import { mapRecords, bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * records$.pipe(
 *   mapRecords((r) => ({ ...r, data: redact(r.data) })),
 *   bufferBySizeOrTime(),
 *   deliverTo(lake),
 * );
 * ```
 *
 * @param project Makes the new record from a record and its index.
 * @returns An operator from records to transformed records that keep their settlements.
 * @see filterRecords to drop records, settling them as dropped.
 */
export function mapRecords<T extends object, R extends object>(project: (record: T, index: number) => R): OperatorFunction<T, R> {
  return map((record, index) => {
    const out = project(record, index);
    if ((out as object) === record) return out;
    if (typeof out !== 'object' || out === null)
      throw new TypeError(`mapRecords: project must return a record (an object); it returned ${out === null ? 'null' : typeof out}`);
    carrySettlement(record, out);
    return out;
  });
}
