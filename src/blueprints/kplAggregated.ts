// A Firehose data-transformation blueprint for KPL-aggregated records from a Kinesis source: self-contained
// (only type imports), so this file, compiled, is a Lambda function as it is. Handler: `kplAggregatedToRecords`.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { BlueprintEvent, BlueprintResult } from './BlueprintTypes.js';

const MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const MD5_BYTES = 16;

/**
 * The user records' data inside a KPL-aggregated record (`F3 89 9A C2`, a protobuf `AggregatedRecord`, the
 * MD5 of the protobuf), in order; `undefined` when `data` does not start with the magic bytes (not
 * aggregated). Throws when it does but the digest or the protobuf is wrong.
 */
export function kplUserRecords(data: Uint8Array): Uint8Array[] | undefined {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (bytes.length < MAGIC.length + MD5_BYTES) throw new Error('an aggregated record too short for its digest');
  const message = bytes.subarray(MAGIC.length, bytes.length - MD5_BYTES);
  if (
    !createHash('md5')
      .update(message)
      .digest()
      .equals(bytes.subarray(bytes.length - MD5_BYTES))
  ) {
    throw new Error('the MD5 digest of the aggregated record does not match');
  }
  const users: Uint8Array[] = [];
  // AggregatedRecord: 1 partition_key_table (string), 2 explicit_hash_key_table (string), 3 records (Record).
  for (const field of fields(message)) {
    if (field.number === 3 && field.bytes !== undefined) users.push(recordData(field.bytes));
  }
  return users;
}

/** Record: 1 partition_key_index (varint), 2 explicit_hash_key_index (varint), 3 data (bytes, required), 4 tags. */
function recordData(record: Uint8Array): Uint8Array {
  let data: Uint8Array | undefined;
  for (const field of fields(record)) if (field.number === 3 && field.bytes !== undefined) data = field.bytes;
  if (data === undefined) throw new Error('a sub-record without data');
  return data;
}

/** The fields of a protobuf message: number and, for length-delimited ones, the bytes. Throws on anything malformed. */
function* fields(message: Uint8Array): Generator<{ number: number; bytes?: Uint8Array }> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= message.length) throw new Error('a truncated varint');
      const byte = message[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error('a varint longer than 10 bytes');
  };
  while (at < message.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    switch (key % 8) {
      case 0:
        varint();
        yield { number };
        break;
      case 2: {
        const length = varint();
        if (at + length > message.length) throw new Error('a truncated field');
        yield { number, bytes: message.subarray(at, at + length) };
        at += length;
        break;
      }
      default:
        throw new Error(`wire type ${key % 8} is not part of the KPL's format`);
    }
  }
}

/**
 * KPL-aggregated record → its user records' data, each followed by a newline unless it ends with one
 * already, as one record. A record that is not aggregated comes back unchanged; one that starts like an
 * aggregated record but whose digest or protobuf is wrong is `ProcessingFailed` (and reaches the error
 * output whole).
 *
 * ## Example
 * ```ts
 * import { kplAggregatedToRecords } from 'rx-firehose/blueprints';
 * import { transformWithLambda } from 'rx-firehose/operators';
 *
 * kinesisRecords$.pipe(transformWithLambda(kplAggregatedToRecords));
 * ```
 */
export async function kplAggregatedToRecords(event: BlueprintEvent): Promise<BlueprintResult> {
  return {
    records: event.records.map(({ recordId, data }) => {
      let users: Uint8Array[] | undefined;
      try {
        users = kplUserRecords(Buffer.from(data, 'base64'));
      } catch {
        return { recordId, result: 'ProcessingFailed' as const, data };
      }
      if (users === undefined) return { recordId, result: 'Ok' as const, data };
      const lines = users.flatMap((u) => (u.length > 0 && u[u.length - 1] === 0x0a ? [u] : [u, Buffer.from('\n')]));
      return { recordId, result: 'Ok' as const, data: Buffer.concat(lines).toString('base64') };
    }),
  };
}
