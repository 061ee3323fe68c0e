import { map, type OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { checkObject } from '../options/checkObject.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { carrySettlement } from '../settlement/carrySettlement.js';

const NAME = 'appendDelimiterToRecord';

export interface AppendDelimiterToRecordOptions {
  /** What to append: a string (UTF-8) or bytes, not empty. Default `\n`, Firehose's (which takes no parameter). */
  readonly delimiter?: string | Uint8Array | undefined;
}

/**
 * Appends a delimiter (`\n` by default) to every record's data: Firehose's `AppendDelimiterToRecord`
 * processor, the fix for Firehose's default of concatenating records with nothing between them.
 *
 * <span class="informal">Newline-delimited objects in S3, one flag away.</span>
 *
 * ```
 * source:  -a----b-|       a = '{"n":1}', b = 'x\n'
 * result:  -A----B-|       A = '{"n":1}\n', B = 'x\n\n'
 * ```
 *
 * The delimiter is appended always, as Firehose does, even when the data already ends with it. The record
 * keeps its id, arrival time, metadata, partition keys and settlement.
 *
 * ## Example
 * ```ts
 * import { appendDelimiterToRecord, bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * records$.pipe(appendDelimiterToRecord(), bufferBySizeOrTime(), deliverTo(lake));
 * records$.pipe(appendDelimiterToRecord({ delimiter: '\r\n' }));
 * ```
 *
 * @param options The delimiter.
 * @returns An operator from records to records that end with the delimiter.
 * @throws {InvalidOptionError} for a delimiter that is empty or neither a string nor bytes.
 * @see deaggregateRecords
 */
export function appendDelimiterToRecord(options?: AppendDelimiterToRecordOptions): OperatorFunction<FirehoseRecord, FirehoseRecord> {
  const o = checkObject<AppendDelimiterToRecordOptions>(NAME, 'options', options, {});
  const raw = o.delimiter ?? '\n';
  const delimiter = typeof raw === 'string' ? new TextEncoder().encode(raw) : raw;
  if (!(delimiter instanceof Uint8Array) || delimiter.byteLength === 0)
    throw new InvalidOptionError(NAME, 'delimiter', o.delimiter, 'a non-empty string or Uint8Array');
  return map((record) => {
    const data = new Uint8Array(record.data.byteLength + delimiter.byteLength);
    data.set(record.data, 0);
    data.set(delimiter, record.data.byteLength);
    const out: FirehoseRecord = { ...record, data };
    carrySettlement(record, out);
    return out;
  });
}
