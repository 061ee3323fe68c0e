/**
 * A KPL-format aggregator for tests, written from the format's public description (the Kinesis Producer
 * Library's `messages.proto` and its aggregation notes), independently of the library's decoder: it encodes
 * protobuf by hand (varints, length-delimited fields), so a decoder bug cannot cancel out an encoder bug.
 *
 *   record = F3 89 9A C2 | AggregatedRecord | MD5(AggregatedRecord)
 *   AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
 *                      repeated Record records = 3; }
 *   Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *            required bytes data = 3; repeated Tag tags = 4; }
 *   Tag { required string key = 1; optional string value = 2; }
 */
import { createHash } from 'node:crypto';

export interface UserRecordInput {
  readonly partitionKey: string;
  readonly data: Uint8Array | string;
  readonly explicitHashKey?: string;
  readonly tags?: ReadonlyArray<{ key: string; value?: string }>;
}

const MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
const utf8 = new TextEncoder();

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

function field(number: number, wireType: 0 | 2, payload: number[] | Uint8Array): number[] {
  const key = varint((number << 3) | wireType);
  if (wireType === 0) return [...key, ...payload];
  return [...key, ...varint(payload.length), ...payload];
}

/** The protobuf `AggregatedRecord` of `records`, with de-duplicated key tables as the KPL builds them. */
export function encodeAggregatedRecord(records: readonly UserRecordInput[]): Uint8Array {
  const partitionKeys: string[] = [];
  const hashKeys: string[] = [];
  const indexOf = (table: string[], key: string): number => {
    const i = table.indexOf(key);
    return i >= 0 ? i : table.push(key) - 1;
  };
  const encodedRecords = records.map((r) => {
    const bytes: number[] = [...field(1, 0, varint(indexOf(partitionKeys, r.partitionKey)))];
    if (r.explicitHashKey !== undefined) bytes.push(...field(2, 0, varint(indexOf(hashKeys, r.explicitHashKey))));
    bytes.push(...field(3, 2, typeof r.data === 'string' ? utf8.encode(r.data) : r.data));
    for (const tag of r.tags ?? []) {
      const tagBytes = [...field(1, 2, utf8.encode(tag.key)), ...(tag.value === undefined ? [] : field(2, 2, utf8.encode(tag.value)))];
      bytes.push(...field(4, 2, tagBytes));
    }
    return bytes;
  });
  const out: number[] = [];
  for (const key of partitionKeys) out.push(...field(1, 2, utf8.encode(key)));
  for (const key of hashKeys) out.push(...field(2, 2, utf8.encode(key)));
  for (const r of encodedRecords) out.push(...field(3, 2, r));
  return Uint8Array.from(out);
}

/** A KPL-aggregated Kinesis record: magic, protobuf, MD5. Put it with the first user record's partition key. */
export function aggregate(records: readonly UserRecordInput[]): Uint8Array {
  const message = encodeAggregatedRecord(records);
  const md5 = createHash('md5').update(message).digest();
  return Uint8Array.from([...MAGIC, ...message, ...md5]);
}
