import { Buffer } from 'node:buffer';
import { typeNameOf } from '../errors/InvalidOptionError.js';

/**
 * The bytes a destination writes for a value: a record's `data`, or the value itself when it is a
 * string (UTF-8) or bytes.
 */
export function dataOf(value: unknown): Uint8Array {
  const data = typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && 'data' in value ? (value as { data: unknown }).data : value;
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`cannot deliver a value of type ${typeNameOf(data)}: records carry a string or bytes in data`);
}
