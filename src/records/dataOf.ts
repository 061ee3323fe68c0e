import { Buffer } from 'node:buffer';
import { typeNameOf } from '../errors/InvalidOptionError.js';

/**
 * The bytes a destination writes for a value: a record's `data`, or the value itself when it is a
 * string (UTF-8) or bytes.
 */
export function dataOf(value: unknown): Uint8Array {
  // The common case first: a record whose data is bytes (called once per record on the delivery path).
  const data = typeof value === 'object' && value !== null ? (value as { data?: unknown }).data : undefined;
  if (data instanceof Uint8Array) return data;
  const bytes = data === undefined && !(typeof value === 'object' && value !== null && 'data' in value) ? value : data;
  if (bytes instanceof Uint8Array) return bytes;
  if (typeof bytes === 'string') return Buffer.from(bytes, 'utf8');
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new TypeError(`cannot deliver a value of type ${typeNameOf(bytes)}: records carry a string or bytes in data`);
}
