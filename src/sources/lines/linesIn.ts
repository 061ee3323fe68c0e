import type { FirehoseRecord } from '../../records/FirehoseRecord.js';

/** Records of `fromLines` that hold more than one line (`aggregatedRecordSizeBytes`): how many. */
const aggregated = new WeakMap<FirehoseRecord, number>();

/**
 * How many lines a record of `fromLines` holds: more than one when its `aggregatedRecordSizeBytes` joined
 * them, else 1 (for any record: a copy, a transformed record or another source's counts 1). A side table,
 * not a property, so a record keeps Firehose's shape; it is written once per aggregated record only.
 *
 * ## Example
 * ```ts
 * fromLines(createReadStream('events.jsonl'), { aggregatedRecordSizeBytes: 65_536 })
 *   .pipe(bufferBySizeOrTime(), deliverTo(directoryDestination({ path: './out' })))
 *   .subscribe((result) => console.log(result.records.reduce((n, r) => n + linesIn(r), 0), 'lines'));
 * ```
 */
export function linesIn(record: FirehoseRecord): number {
  return aggregated.get(record) ?? 1;
}

/** @internal Notes that `record` holds `lines` lines (`fromLines`). */
export function holdsLines(record: FirehoseRecord, lines: number): void {
  aggregated.set(record, lines);
}
