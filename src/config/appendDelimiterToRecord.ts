import { map, type OperatorFunction } from 'rxjs';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { carrySettlement } from '../settlement/carrySettlement.js';

const NEWLINE = new Uint8Array([0x0a]);

/**
 * Firehose's `AppendDelimiterToRecord` processor: appends `\n` to every record's data (always, as Firehose
 * does, even when the data already ends with one), keeping the record's id, arrival time, metadata and
 * settlement.
 *
 * ## Example
 * ```ts
 * records$.pipe(appendDelimiterToRecord(), bufferBySizeOrTime(), deliverTo(lake));
 * ```
 */
export function appendDelimiterToRecord(): OperatorFunction<FirehoseRecord, FirehoseRecord> {
  return map((record) => {
    const data = new Uint8Array(record.data.byteLength + 1);
    data.set(record.data, 0);
    data.set(NEWLINE, record.data.byteLength);
    const out: FirehoseRecord = { ...record, data };
    carrySettlement(record, out);
    return out;
  });
}
