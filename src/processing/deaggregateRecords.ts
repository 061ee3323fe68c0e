import type { OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { checkProcessorOptions, type ProcessorOptions } from './checkProcessorOptions.js';
import { processEachRecord } from './processEachRecord.js';
import { splitJsonObjects } from './splitJsonObjects.js';
import { splitOnDelimiter } from './splitOnDelimiter.js';

const NAME = 'deaggregateRecords';
/** Firehose caps de-aggregation at 500 sub-records per record. */
export const MAX_SUB_RECORDS = 500;

export interface DeaggregateRecordsOptions extends ProcessorOptions {
  /** Firehose's `SubRecordType`: `JSON` (objects one after another, or one per line) or `DELIMITED`. */
  readonly subRecordType: 'JSON' | 'DELIMITED';
  /** With `DELIMITED`: the delimiter, as bytes or a string (UTF-8). Firehose's `Delimiter` parameter is its base64. */
  readonly delimiter?: Uint8Array | string | undefined;
}

/**
 * Splits records that hold several records: Firehose's `RecordDeAggregation` processor (multi-record
 * de-aggregation), which dynamic partitioning needs when producers aggregate records.
 *
 * <span class="informal">One record in, its sub-records out; the original settles when all of them did.</span>
 *
 * ```
 * source:  -a---------b-|        a = '{"n":1}{"n":2}\n{"n":3}', b = '[1,2]'
 * result:  -(xyz)-----F-|        x = '{"n":1}', y = '{"n":2}', z = '{"n":3}'; b → processing-failed record F
 * ```
 *
 * - `JSON`: the record is JSON objects one after another (`{"a":1}{"a":2}`) or one per line (JSON Lines);
 *   each object becomes a record, whitespace between them dropped. Anything else (an array, a bare value,
 *   text between objects, invalid JSON) is a failure (`RecordDeAggregation.InvalidJson`).
 * - `DELIMITED`: the record is cut at every `delimiter`, which is removed; empty pieces are left out.
 * - More than 500 sub-records (Firehose's cap) is a failure (`RecordDeAggregation.TooManySubRecords`).
 *
 * Failures go to `errorOutput` as `processing-failed` failure records holding the original bytes. Sub-records
 * keep the original's arrival time and metadata, get ids `<recordId>-<index>` (a single one keeps the id),
 * and carry parts of its settlement: a replayable source moves past the original only once every sub-record
 * was delivered, dropped or written to the error output. A record with no sub-records settles as dropped.
 * (KPL aggregation is another format, undone by `fromKinesisStream` itself.)
 *
 * ## Example
 * ```ts
 * import { deaggregateRecords, appendDelimiterToRecord, bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * records$.pipe(
 *   deaggregateRecords({ subRecordType: 'JSON', errorOutput: lake }),
 *   appendDelimiterToRecord(),
 *   bufferBySizeOrTime(),
 *   deliverTo(lake, { errorOutput: lake }),
 * );
 * ```
 *
 * @param options The sub-record type, the delimiter, the error output and the scheduler.
 * @returns An operator from records to their sub-records.
 * @throws {InvalidOptionError} for an unknown `subRecordType`, or a missing or empty `delimiter` with `DELIMITED`.
 * @see appendDelimiterToRecord
 */
export function deaggregateRecords(options: DeaggregateRecordsOptions): OperatorFunction<FirehoseRecord, FirehoseRecord> {
  const { options: o, errorOutput, scheduler } = checkProcessorOptions(NAME, options);
  if (o.subRecordType !== 'JSON' && o.subRecordType !== 'DELIMITED')
    throw new InvalidOptionError(NAME, 'subRecordType', o.subRecordType, '"JSON" or "DELIMITED"');
  let delimiter: Uint8Array | undefined;
  if (o.subRecordType === 'DELIMITED') {
    const d = typeof o.delimiter === 'string' ? new TextEncoder().encode(o.delimiter) : o.delimiter;
    if (!(d instanceof Uint8Array) || d.byteLength === 0)
      throw new InvalidOptionError(NAME, 'delimiter', o.delimiter, 'a non-empty string or Uint8Array when subRecordType is "DELIMITED"');
    delimiter = d;
  } else if (o.delimiter !== undefined) {
    throw new InvalidOptionError(NAME, 'delimiter', o.delimiter, 'left out when subRecordType is "JSON"');
  }
  const failed = (errorCode: string, errorMessage: string) =>
    ({ ok: false, errorOutputType: 'processing-failed', errorCode, errorMessage }) as const;
  return processEachRecord({ stage: 'RecordDeAggregation', errorOutput, scheduler }, (record) => {
    const parts = delimiter === undefined ? splitJsonObjects(record.data) : splitOnDelimiter(record.data, delimiter);
    if (typeof parts === 'string')
      return failed('RecordDeAggregation.InvalidJson', `the record is not JSON objects one after another: ${parts}`);
    if (parts.length > MAX_SUB_RECORDS)
      return failed(
        'RecordDeAggregation.TooManySubRecords',
        `the record holds ${parts.length} sub-records; Firehose de-aggregates at most ${MAX_SUB_RECORDS} per record`,
      );
    return { ok: true, data: parts };
  });
}
