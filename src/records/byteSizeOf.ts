import { Buffer } from 'node:buffer';
import { typeNameOf } from '../errors/InvalidOptionError.js';

/**
 * The size in bytes that buffering counts for a value: a string's UTF-8 length, an `ArrayBufferView`'s
 * (`Uint8Array`, `Buffer`, `DataView`, …) or `ArrayBuffer`'s `byteLength`, and for a record object
 * `{ data }` the size of its `data` by the same rules.
 *
 * Any other value throws a `TypeError` that names its type and says to pass a `sizeOf` option.
 *
 * ## Example
 * ```ts
 * import { byteSizeOf } from 'rx-firehose';
 * byteSizeOf('é');                        // 2
 * byteSizeOf(new Uint8Array(10));          // 10
 * byteSizeOf({ data: 'abc', meta: 1 });    // 3
 * ```
 */
export function byteSizeOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value === 'object' && value !== null) {
    if ('data' in value) {
      const data = (value as { data: unknown }).data;
      if (typeof data === 'string') return Buffer.byteLength(data, 'utf8');
      if (ArrayBuffer.isView(data)) return data.byteLength;
      if (data instanceof ArrayBuffer) return data.byteLength;
      throw new TypeError(
        `cannot count the bytes of a record whose data is of type ${typeNameOf(data)}: ` +
          'data must be a string or bytes, or pass a sizeOf option (value => bytes)',
      );
    }
    if (value instanceof ArrayBuffer) return value.byteLength;
  }
  throw new TypeError(
    `cannot count the bytes of a value of type ${typeNameOf(value)}: ` +
      'pass a sizeOf option (value => bytes), or emit strings, bytes or { data } records',
  );
}
