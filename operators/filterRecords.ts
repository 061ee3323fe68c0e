import { filter, type OperatorFunction } from 'rxjs';
import { dropRecord } from '../src/delivery/dropRecord.js';

/**
 * Keeps the records `predicate` accepts, and drops the others (the engine settles them as `dropped`): `filter` for records.
 *
 * <span class="informal">Use it instead of `filter`: a record a plain `filter` drops is never settled, and a replayable source waits for it forever.</span>
 *
 * ```
 * source:  -a-b-c-|       predicate accepts a and c
 * result:  -a---c-|       b is settled as dropped (Firehose's Dropped)
 * ```
 *
 * A `predicate` that throws errors the stream.
 *
 * ## Example
 * ```ts
 * import { filterRecords } from 'rx-firehose/operators';
 * records$.pipe(filterRecords((r) => r.data.byteLength > 0));
 * ```
 *
 * @param predicate Whether to keep a record (given the record and its index).
 * @returns An operator that passes the kept records on unchanged.
 * @see mapRecords
 */
export function filterRecords<T>(predicate: (record: T, index: number) => boolean): OperatorFunction<T, T> {
  return filter((record, index) => {
    if (predicate(record, index)) return true;
    dropRecord(record);
    return false;
  });
}
