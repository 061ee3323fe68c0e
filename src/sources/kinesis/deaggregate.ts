import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs/light.js';

/** The four bytes that open every KPL-aggregated record. */
export const KPL_MAGIC: Uint8Array = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const MD5_BYTES = 16;

/** One user record inside a Kinesis record: the record itself when it was not aggregated. */
export interface UserRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  /** The sub-record's explicit hash key, when the producer set one. */
  readonly explicitHashKey?: string | undefined;
  /** Index within the aggregated record; 0 for a record that was not aggregated. */
  readonly subsequenceNumber: number;
}

const require = createRequire(import.meta.url);
let aggregatedRecordType: Protobuf.Type | undefined;

/**
 * The KPL's `AggregatedRecord` (messages.proto of amazon-kinesis-producer, proto2), declared inline so nothing
 * is loaded or parsed from a file. protobufjs checks the wire types and the required fields while decoding.
 * Made on the first aggregated record: loading protobufjs takes ≈ 50 ms of CPU, which a process that never
 * meets one (every pipeline without a KPL producer) does not pay when it imports rx-firehose.
 */
function aggregatedRecord(): Protobuf.Type {
  if (aggregatedRecordType !== undefined) return aggregatedRecordType;
  const { Field, Root, Type } = require('protobufjs/light.js') as typeof Protobuf;
  const kpl = new Root().define('kpl');
  kpl.add(new Type('Tag').add(new Field('key', 1, 'string', 'required')).add(new Field('value', 2, 'string', 'optional')));
  kpl.add(
    new Type('Record')
      .add(new Field('partitionKeyIndex', 1, 'uint64', 'required'))
      .add(new Field('explicitHashKeyIndex', 2, 'uint64', 'optional'))
      .add(new Field('data', 3, 'bytes', 'required'))
      .add(new Field('tags', 4, 'Tag', 'repeated')),
  );
  kpl.add(
    new Type('AggregatedRecord')
      .add(new Field('partitionKeyTable', 1, 'string', 'repeated'))
      .add(new Field('explicitHashKeyTable', 2, 'string', 'repeated'))
      .add(new Field('records', 3, 'Record', 'repeated')),
  );
  aggregatedRecordType = kpl.lookupType('AggregatedRecord');
  return aggregatedRecordType;
}

interface DecodedRecord {
  partitionKeyIndex: number | { toNumber(): number };
  explicitHashKeyIndex?: number | { toNumber(): number } | null | undefined;
  data: Uint8Array;
}
interface DecodedAggregate {
  partitionKeyTable: string[];
  explicitHashKeyTable: string[];
  records: DecodedRecord[];
}

/**
 * The user records inside one Kinesis record: the sub-records of a KPL-aggregated record, or the record itself.
 *
 * <span class="informal">What the KCL and Firehose do with what the Kinesis Producer Library wrote.</span>
 *
 * ```
 * F3 89 9A C2 | AggregatedRecord (protobuf) | MD5(AggregatedRecord), 16 bytes
 *               partition_key_table = ["a", "b"]
 *               records = [{ pk 0, data "x" }, { pk 1, data "y" }, { pk 0, data "z" }]
 *   → [{ "x", pk "a", subsequence 0 }, { "y", pk "b", 1 }, { "z", pk "a", 2 }]
 * ```
 *
 * A record is aggregated when it starts with the magic bytes `F3 89 9A C2`, ends with the MD5 of what lies
 * between, and that decodes as the KPL's `AggregatedRecord` with every index inside its table. Each
 * sub-record gets its partition key (and explicit hash key) from the tables and its index as subsequence
 * number. A record that fails any of these checks is not aggregated (or was corrupted) and comes back whole,
 * as the KCL does: nothing is dropped. An aggregated record without sub-records comes back as an empty array.
 * Sub-record data are views into `data`, not copies.
 *
 * ## Example
 * ```ts
 * import { deaggregate } from 'rx-firehose';
 *
 * for (const user of deaggregate({ data: record.Data!, partitionKey: record.PartitionKey! })) {
 *   console.log(user.subsequenceNumber, user.partitionKey, user.data.byteLength);
 * }
 * ```
 *
 * @param record The Kinesis record's data and partition key.
 * @returns Its user records, in order.
 */
export function deaggregate(record: { readonly data: Uint8Array; readonly partitionKey: string }): UserRecord[] {
  const whole = [{ data: record.data, partitionKey: record.partitionKey, subsequenceNumber: 0 }];
  const { data } = record;
  if (!startsLikeAggregate(data)) return whole;
  const message = data.subarray(KPL_MAGIC.byteLength, data.byteLength - MD5_BYTES);
  const digest = createHash('md5').update(message).digest();
  if (!digest.equals(data.subarray(data.byteLength - MD5_BYTES))) return whole;
  const type = aggregatedRecord(); // outside the try: a protobufjs that cannot load is an error, not "not aggregated"
  let decoded: DecodedAggregate;
  try {
    decoded = type.decode(message) as unknown as DecodedAggregate;
  } catch {
    return whole;
  }
  const { partitionKeyTable, explicitHashKeyTable } = decoded;
  const users: UserRecord[] = [];
  for (const [index, sub] of decoded.records.entries()) {
    const partitionKey = partitionKeyTable[toIndex(sub.partitionKeyIndex)];
    if (partitionKey === undefined) return whole;
    // protobufjs puts defaults on the prototype: an optional field is present only as an own property.
    const hashKeyIndex = Object.prototype.hasOwnProperty.call(sub, 'explicitHashKeyIndex') ? sub.explicitHashKeyIndex : undefined;
    if (hashKeyIndex === undefined || hashKeyIndex === null) {
      users.push({ data: sub.data, partitionKey, subsequenceNumber: index });
      continue;
    }
    const explicitHashKey = explicitHashKeyTable[toIndex(hashKeyIndex)];
    if (explicitHashKey === undefined) return whole;
    users.push({ data: sub.data, partitionKey, explicitHashKey, subsequenceNumber: index });
  }
  return users;
}

/**
 * Whether `data` opens with the KPL's magic bytes and is long enough to hold a digest: what {@link deaggregate}
 * checks first. A record that does not is not aggregated, so a source can skip {@link deaggregate} for it.
 */
export function startsLikeAggregate(data: Uint8Array): boolean {
  return (
    data.byteLength >= KPL_MAGIC.byteLength + MD5_BYTES &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

/** uint64 fields decode as `Long` when the `long` package is present, else as numbers. */
function toIndex(value: number | { toNumber(): number }): number {
  return typeof value === 'number' ? value : value.toNumber();
}
