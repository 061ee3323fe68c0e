import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { InvalidOptionError, typeNameOf } from '../errors/InvalidOptionError.js';
import { carrySettlement } from '../settlement/carrySettlement.js';
import type { FirehoseRecord } from './FirehoseRecord.js';

const NAME = 'toRecords';
const NEWLINE = 0x0a;
const utf8 = new TextEncoder();

export interface ToRecordsOptions<T> {
  /**
   * Turns a value into bytes. Default: strings as UTF-8, `Uint8Array`s as they are, anything else as
   * `JSON.stringify(value)` in UTF-8.
   */
  readonly encode?: (value: T) => Uint8Array | string;
  /**
   * Appends `\n` to every record that does not already end with one (Firehose's
   * `AppendDelimiterToRecord` processor). Default `false`, as in Firehose, which concatenates records with
   * no delimiter: set it to `true` for newline-delimited JSON objects.
   */
  readonly appendNewline?: boolean;
  /** Prefix of generated record ids. Default `''`: ids are `<arrival ms>-<sequence>`. */
  readonly recordIdPrefix?: string;
  /** The clock for arrival times. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Turns any values (strings, bytes, JSON-serialisable objects) into {@link FirehoseRecord}s.
 *
 * <span class="informal">The entry to a pipeline from any Observable.</span>
 *
 * A value that carries a settlement hands it to its record. Each record gets an id (`<prefix><arrival ms>-<sequence>`, the sequence counting from 0 per
 * subscription) and `approximateArrivalTimestamp = scheduler.now()`. An `encode` that throws, or returns
 * something other than a string or bytes, errors the stream with that error.
 *
 * ```
 * source:  -a--b|          (a = { n: 1 }, b = 'text')
 * result:  -A--B|          A.data = '{"n":1}\n', B.data = 'text\n'   (appendNewline: true)
 * ```
 *
 * ## Example
 * ```ts
 * import { toRecords } from 'rx-firehose';
 * import { bufferBySizeOrTime } from 'rx-firehose/operators';
 *
 * clicks$.pipe(toRecords({ appendNewline: true }), bufferBySizeOrTime());
 * ```
 *
 * @param options How values become bytes, the newline delimiter, ids and the clock.
 * @returns An operator from values to records, one record per value, in order.
 */
export function toRecords<T>(options: ToRecordsOptions<T> = {}): OperatorFunction<T, FirehoseRecord> {
  const encode = options.encode;
  if (encode !== undefined && typeof encode !== 'function') throw new InvalidOptionError(NAME, 'encode', encode, 'a function');
  const appendNewline = options.appendNewline ?? false;
  if (typeof appendNewline !== 'boolean') throw new InvalidOptionError(NAME, 'appendNewline', appendNewline, 'true or false');
  const prefix = options.recordIdPrefix ?? '';
  if (typeof prefix !== 'string') throw new InvalidOptionError(NAME, 'recordIdPrefix', prefix, 'a string');
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<FirehoseRecord>((subscriber) => {
      let sequence = 0;
      return source.subscribe({
        next: (value) => {
          let data: Uint8Array;
          try {
            data = toBytes(encode === undefined ? defaultEncode(value) : encode(value));
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (appendNewline && (data.length === 0 || data[data.length - 1] !== NEWLINE)) {
            const withNewline = new Uint8Array(data.length + 1);
            withNewline.set(data);
            withNewline[data.length] = NEWLINE;
            data = withNewline;
          }
          const now = scheduler.now();
          const record: FirehoseRecord = { recordId: `${prefix}${now}-${sequence++}`, data, approximateArrivalTimestamp: now };
          // A value from a replayable source stays accountable through its record.
          if (typeof value === 'object' && value !== null) carrySettlement(value, record);
          subscriber.next(record);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

function defaultEncode(value: unknown): Uint8Array | string {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`toRecords: cannot encode a value of type ${typeNameOf(value)} as JSON; pass an encode option`);
  return json;
}

function toBytes(encoded: unknown): Uint8Array {
  if (typeof encoded === 'string') return utf8.encode(encoded);
  if (encoded instanceof Uint8Array) return encoded;
  throw new TypeError(`toRecords: encode must return a string or a Uint8Array; got a value of type ${typeNameOf(encoded)}`);
}
