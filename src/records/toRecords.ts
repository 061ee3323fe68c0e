import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { InvalidOptionError, typeNameOf } from '../errors/InvalidOptionError.js';
import { checkKind } from '../options/checkKind.js';
import { carrySettlement } from '../settlement/carrySettlement.js';
import type { FirehoseRecord } from './FirehoseRecord.js';

const NAME = 'toRecords';
const NEWLINE = 0x0a;
const utf8 = new TextEncoder();

export interface ToRecordsOptions<T> {
  /**
   * Turns a value into bytes. Default: strings as UTF-8, binary data (`Uint8Array`, `Buffer`, any other
   * typed array, `DataView`, `ArrayBuffer`) as its bytes, the way `byteSizeOf` counts them, anything else
   * as `JSON.stringify(value)` in UTF-8. `encode` may return a string or any of those binary forms.
   */
  readonly encode?: ((value: T) => Uint8Array | ArrayBufferView | ArrayBuffer | string) | undefined;
  /**
   * Appends `\n` to every record that does not already end with one (Firehose's
   * `AppendDelimiterToRecord` processor). Default `false`, as in Firehose, which concatenates records with
   * no delimiter: set it to `true` for newline-delimited JSON objects.
   */
  readonly appendNewline?: boolean | undefined;
  /** Prefix of generated record ids. Default `''`: ids are `<arrival ms>-<sequence>`. */
  readonly recordIdPrefix?: string | undefined;
  /** The clock for arrival times. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
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
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(NAME, 'options', options, 'an object');
  const encode = checkKind(NAME, 'encode', options.encode, 'function', undefined) as ((value: T) => unknown) | undefined;
  const appendNewline = checkKind(NAME, 'appendNewline', options.appendNewline, 'boolean', false);
  const prefix = checkKind(NAME, 'recordIdPrefix', options.recordIdPrefix, 'string', '');
  const scheduler = checkKind(NAME, 'scheduler', options.scheduler, 'scheduler', asyncScheduler);

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
  // Every other binary view is bytes too, as byteSizeOf counts it: never its JSON ("{}" for a DataView).
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer))
    return new Uint8Array(value);
  const json = JSON.stringify(value);
  if (json === undefined)
    throw new TypeError(`toRecords: cannot encode a value of type ${typeNameOf(value)} as JSON; pass an encode option`);
  return json;
}

function toBytes(encoded: unknown): Uint8Array {
  if (typeof encoded === 'string') return utf8.encode(encoded);
  if (encoded instanceof Uint8Array) return encoded;
  if (ArrayBuffer.isView(encoded)) return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  if (encoded instanceof ArrayBuffer) return new Uint8Array(encoded);
  throw new TypeError(`toRecords: encode must return a string or bytes; got a value of type ${typeNameOf(encoded)}`);
}
