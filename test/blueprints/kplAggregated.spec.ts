import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { kplAggregatedToRecords } from '../../src/blueprints/index.js';
import { aggregate } from '../sources/kinesis/kplEncoder.js';
import { runBlueprint } from './support.js';

describe('KPL de-aggregation blueprint', () => {
  it('should turn an aggregated record into its user records, one per line, and pass a plain record unchanged', async () => {
    const aggregated = aggregate([
      { partitionKey: 'a', data: '{"n":1}' },
      { partitionKey: 'b', data: '{"n":2}\n', explicitHashKey: '123', tags: [{ key: 't', value: 'v' }] },
      { partitionKey: 'a', data: '{"n":3}' },
    ]);
    const { texts, failures } = await runBlueprint(kplAggregatedToRecords, [aggregated, 'plain record', aggregate([])]);
    expect(texts).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n', 'plain record', '']);
    expect(failures).toEqual([]);
  });

  it('should fail an aggregated record whose digest or protobuf is wrong, keeping it whole', async () => {
    const good = aggregate([{ partitionKey: 'a', data: 'x' }]);
    const badDigest = Buffer.from(good);
    badDigest[badDigest.length - 1]! ^= 0xff;
    const truncated = Buffer.concat([good.subarray(0, 4), Buffer.from([0x1a, 0x20, 0x08])]);
    const { createHash } = await import('node:crypto');
    const badProtobuf = Buffer.concat([truncated, createHash('md5').update(truncated.subarray(4)).digest()]);
    const { texts, failedRaw } = await runBlueprint(kplAggregatedToRecords, [badDigest, badProtobuf, good]);
    expect(texts).toEqual(['x\n']);
    expect(failedRaw).toEqual([badDigest, badProtobuf]);
  });
});
