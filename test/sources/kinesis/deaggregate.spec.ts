import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSequenceNumbers } from '../../../src/sources/kinesis/compareSequenceNumbers.js';
import { deaggregate, KPL_MAGIC } from '../../../src/sources/kinesis/deaggregate.js';
import { aggregate, encodeAggregatedRecord, type UserRecordInput } from './kplEncoder.js';

const utf8 = new TextEncoder();
const bytes = (s: string): Uint8Array => utf8.encode(s);
/** A KPL record around any protobuf bytes, with a correct MD5. */
const wrap = (message: Uint8Array): Uint8Array =>
  Uint8Array.from([...KPL_MAGIC, ...message, ...createHash('md5').update(message).digest()]);

const userRecord = fc.record(
  {
    partitionKey: fc.string({ minLength: 1, maxLength: 20 }),
    data: fc.uint8Array({ maxLength: 64 }),
    explicitHashKey: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(String),
    tags: fc.array(fc.record({ key: fc.string({ maxLength: 5 }), value: fc.string({ maxLength: 5 }) }), { maxLength: 2 }),
  },
  { requiredKeys: ['partitionKey', 'data'] },
);

describe('deaggregate', () => {
  it('should split a KPL-aggregated record into its sub-records, with keys from the tables and their index as subsequence number', () => {
    const data = aggregate([
      { partitionKey: 'a', data: 'x' },
      { partitionKey: 'b', data: 'y', explicitHashKey: '42' },
      { partitionKey: 'a', data: '' },
    ]);
    expect(deaggregate({ data, partitionKey: 'a' })).toEqual([
      { data: bytes('x'), partitionKey: 'a', subsequenceNumber: 0 },
      { data: bytes('y'), partitionKey: 'b', explicitHashKey: '42', subsequenceNumber: 1 },
      { data: bytes(''), partitionKey: 'a', subsequenceNumber: 2 },
    ]);
  });

  it('should return a record that is not aggregated whole, as subsequence 0', () => {
    const data = bytes('{"plain":true}');
    expect(deaggregate({ data, partitionKey: 'p' })).toEqual([{ data, partitionKey: 'p', subsequenceNumber: 0 }]);
    expect(deaggregate({ data: new Uint8Array(0), partitionKey: 'p' })).toEqual([
      { data: new Uint8Array(0), partitionKey: 'p', subsequenceNumber: 0 },
    ]);
    const justMagic = Uint8Array.from([...KPL_MAGIC, 1, 2]);
    expect(deaggregate({ data: justMagic, partitionKey: 'p' })).toEqual([{ data: justMagic, partitionKey: 'p', subsequenceNumber: 0 }]);
  });

  it('should return a record whose MD5, protobuf or indexes are wrong whole, as the KCL does', () => {
    const good = aggregate([{ partitionKey: 'a', data: 'x' }]);
    const badMd5 = Uint8Array.from(good);
    badMd5[badMd5.length - 1]! ^= 1;
    const notProtobuf = wrap(Uint8Array.of(0xff, 0xff, 0xff));
    // A Record whose partition_key_index (5) points outside an empty table: field 3 { field 1 = 5, field 3 = "x" }.
    const badIndex = wrap(Uint8Array.of(0x1a, 0x05, 0x08, 0x05, 0x1a, 0x01, 0x78));
    // A Record without its required data field.
    const missingData = wrap(Uint8Array.of(0x0a, 0x01, 0x61, 0x1a, 0x02, 0x08, 0x00));
    for (const data of [badMd5, notProtobuf, badIndex, missingData]) {
      expect(deaggregate({ data, partitionKey: 'k' })).toEqual([{ data, partitionKey: 'k', subsequenceNumber: 0 }]);
    }
  });

  it('should return no records for an aggregated record without sub-records', () => {
    expect(deaggregate({ data: aggregate([]), partitionKey: 'k' })).toEqual([]);
  });

  it('should give back exactly what the independent KPL encoder aggregated (property)', () => {
    fc.assert(
      fc.property(fc.array(userRecord, { minLength: 1, maxLength: 30 }), (users: UserRecordInput[]) => {
        const out = deaggregate({ data: aggregate(users), partitionKey: users[0]!.partitionKey });
        expect(out).toEqual(
          users.map((u, i) => ({
            data: u.data,
            partitionKey: u.partitionKey,
            ...(u.explicitHashKey === undefined ? {} : { explicitHashKey: u.explicitHashKey }),
            subsequenceNumber: i,
          })),
        );
      }),
    );
  });

  it('should never throw, and never lose a record it cannot read: any damaged byte gives the record back whole (property)', () => {
    fc.assert(
      fc.property(fc.array(userRecord, { minLength: 1, maxLength: 5 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (users, at, flip) => {
        const data = aggregate(users);
        const damaged = Uint8Array.from(data);
        const i = KPL_MAGIC.length + (at % (data.length - KPL_MAGIC.length));
        damaged[i]! ^= flip;
        expect(deaggregate({ data: damaged, partitionKey: 'k' })).toEqual([{ data: damaged, partitionKey: 'k', subsequenceNumber: 0 }]);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (random) => {
        const data = Uint8Array.from([...KPL_MAGIC, ...random]);
        const out = deaggregate({ data, partitionKey: 'k' });
        expect(out.length === 1 && out[0]!.data === data).toBe(true);
      }),
    );
  });

  it('should decode what protobufjs-independent bytes encode (encoder sanity: a known layout)', () => {
    // partition_key_table ["a"], records [{ partition_key_index 0, data "x" }]
    expect([...encodeAggregatedRecord([{ partitionKey: 'a', data: 'x' }])]).toEqual([
      0x0a, 0x01, 0x61, 0x1a, 0x05, 0x08, 0x00, 0x1a, 0x01, 0x78,
    ]);
  });
});

describe('compareSequenceNumbers', () => {
  it('should order decimal sequence numbers of up to 128 bits exactly, like BigInt', () => {
    expect(compareSequenceNumbers('99', '100')).toBeLessThan(0);
    expect(compareSequenceNumbers('0100', '100')).toBe(0);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 128n }), fc.bigInt({ min: 0n, max: 2n ** 128n }), (a, b) => {
        expect(Math.sign(compareSequenceNumbers(a.toString(), b.toString()))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});
