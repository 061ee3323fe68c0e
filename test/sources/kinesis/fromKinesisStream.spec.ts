import { DeleteStreamCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { randomUUID } from 'node:crypto';
import { lastValueFrom, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { bufferBySizeOrTime, deliverTo } from '../../../operators/index.js';
import { InvalidOptionError, settleRecord, type FirehoseRecord } from '../../../src/index.js';
import { compareSequenceNumbers } from '../../../src/sources/kinesis/compareSequenceNumbers.js';
import { fromKinesisStream, KinesisSourceError, memoryCheckpointStore } from '../../../src/sources/kinesis/index.js';
import { memoryDestination } from '../../../src/testing/index.js';
import { createStream, putRecords, useKinesalite } from '../../support/kinesalite.js';
import { aggregate } from './kplEncoder.js';
import { delay, waitFor } from './waitFor.js';

// A real Kinesis API: kinesalite, started here on 127.0.0.1 (see test/support/kinesalite.ts).
const kinesis = useKinesalite();

const text = (r: FirehoseRecord): string => new TextDecoder().decode(r.data);
const newStream = (): string => `s-${randomUUID().slice(0, 8)}`;

describe('fromKinesisStream (kinesalite)', () => {
  it('should read every shard, each in order, and checkpoint a shard only as far as everything before is settled', async () => {
    const streamName = newStream();
    await createStream(kinesis.client, streamName, 3);
    const put = await putRecords(
      kinesis.client,
      streamName,
      Array.from({ length: 90 }, (_, i) => ({ Data: Buffer.from(`r${i}`), PartitionKey: `key-${i % 9}` })),
    );
    const store = memoryCheckpointStore();
    const stop = new AbortController();
    const seen: FirehoseRecord[] = [];
    let stopped = false;
    fromKinesisStream({
      client: kinesis.client,
      streamName,
      startingPosition: 'TRIM_HORIZON',
      checkpointStore: store,
      pollIntervalMs: 200,
      signal: stop.signal,
      onStopped: () => (stopped = true),
    }).subscribe((r) => seen.push(r));
    await waitFor(() => seen.length === 90, '90 records');

    const shardIds = [...new Set(put.map((p) => p.shardId))].sort();
    expect(shardIds.length).toBeGreaterThan(1);
    for (const shardId of shardIds) {
      const expected = put.flatMap((p, i) => (p.shardId === shardId ? [{ sequenceNumber: p.sequenceNumber, data: `r${i}` }] : []));
      const got = seen.filter((r) => r.kinesisRecordMetadata!.shardId === shardId);
      expect(got.map((r) => ({ sequenceNumber: r.kinesisRecordMetadata!.sequenceNumber, data: text(r) }))).toEqual(expected);
      for (let i = 1; i < got.length; i++)
        expect(
          compareSequenceNumbers(got[i - 1]!.kinesisRecordMetadata!.sequenceNumber, got[i]!.kinesisRecordMetadata!.sequenceNumber),
        ).toBeLessThan(0);
    }
    const first = seen[0]!;
    expect(first.recordId).toBe(`${first.kinesisRecordMetadata!.shardId}-${first.kinesisRecordMetadata!.sequenceNumber}-0`);
    expect(first.kinesisRecordMetadata).toMatchObject({ subsequenceNumber: 0, partitionKey: expect.stringMatching(/^key-/) });
    expect(first.approximateArrivalTimestamp).toBe(first.kinesisRecordMetadata!.approximateArrivalTimestamp);

    // Nothing settled: nothing checkpointed, however long we wait.
    await delay(300);
    expect(store.saves).toEqual([]);

    const [shardA] = shardIds as [string];
    const a = seen.filter((r) => r.kinesisRecordMetadata!.shardId === shardA);
    settleRecord(a[1], 'delivered');
    settleRecord(a[2], 'dropped');
    await delay(50);
    expect(store.get(streamName, shardA)).toBeUndefined(); // a[0] is still in flight
    settleRecord(a[0], 'failed');
    await waitFor(() => store.get(streamName, shardA) !== undefined, 'the first checkpoint');
    expect(store.get(streamName, shardA)).toEqual({ sequenceNumber: a[2]!.kinesisRecordMetadata!.sequenceNumber, subsequenceNumber: 0 });

    for (const r of seen) settleRecord(r, 'delivered');
    await waitFor(
      () =>
        shardIds.every((id) => store.get(streamName, id)?.sequenceNumber === put.filter((p) => p.shardId === id).at(-1)!.sequenceNumber),
      'checkpoints at the last records',
    );
    expect(store.saves.every((s) => s.streamName === streamName)).toBe(true);
    stop.abort();
    await waitFor(() => stopped, 'onStopped');
  });

  it('should resume each shard after its checkpoint, reading no settled record again', async () => {
    const streamName = newStream();
    await createStream(kinesis.client, streamName, 2);
    await putRecords(
      kinesis.client,
      streamName,
      Array.from({ length: 20 }, (_, i) => ({ Data: Buffer.from(`old${i}`), PartitionKey: `k${i}` })),
    );
    const store = memoryCheckpointStore();
    const run = async (expected: number): Promise<FirehoseRecord[]> => {
      const stop = new AbortController();
      const stopped = new Promise<void>((resolve) => {
        const records: FirehoseRecord[] = [];
        const pipeline = fromKinesisStream({
          client: kinesis.client,
          streamName,
          startingPosition: 'TRIM_HORIZON',
          checkpointStore: store,
          pollIntervalMs: 200,
          signal: stop.signal,
          onStopped: () => resolve(),
        });
        pipeline.subscribe((r) => {
          records.push(r);
          settleRecord(r, 'delivered');
          if (records.length === expected) {
            result = records;
            stop.abort();
          }
        });
      });
      let result: FirehoseRecord[] = [];
      await stopped;
      return result;
    };
    expect((await run(20)).map(text).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `old${i}`).sort());
    await putRecords(
      kinesis.client,
      streamName,
      Array.from({ length: 10 }, (_, i) => ({ Data: Buffer.from(`new${i}`), PartitionKey: `k${i}` })),
    );
    const second = await run(10);
    expect(second.map(text).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `new${i}`).sort());
  });

  it('should start at LATEST by default, and at a timestamp when asked', async () => {
    const streamName = newStream();
    await createStream(kinesis.client, streamName, 1);
    await putRecords(kinesis.client, streamName, [{ Data: Buffer.from('before'), PartitionKey: 'a' }]);
    await delay(20);
    const afterMs = Date.now();
    const stop = new AbortController();
    const latest: FirehoseRecord[] = [];
    let polled = 0;
    const metrics = (name: string): void => {
      if (name === 'KinesisMillisBehindLatest') polled++;
    };
    fromKinesisStream({
      client: kinesis.client,
      streamName,
      checkpointStore: memoryCheckpointStore(),
      pollIntervalMs: 200,
      signal: stop.signal,
      metrics,
    }).subscribe((r) => latest.push(r));
    await waitFor(() => polled > 0, 'the first GetRecords at LATEST');
    await putRecords(kinesis.client, streamName, [{ Data: Buffer.from('after'), PartitionKey: 'a' }]);
    await waitFor(() => latest.length === 1, 'the record put after the start');
    expect(latest.map(text)).toEqual(['after']);

    const atTime: FirehoseRecord[] = [];
    fromKinesisStream({
      client: kinesis.client,
      streamName,
      startingPosition: { timestampMs: afterMs },
      checkpointStore: memoryCheckpointStore(),
      pollIntervalMs: 200,
      signal: stop.signal,
    }).subscribe((r) => atTime.push(r));
    await waitFor(() => atTime.length === 1, 'the record put after the timestamp');
    await delay(300);
    expect(atTime.map(text)).toEqual(['after']);
    stop.abort();
  });

  it('should de-aggregate KPL records into sub-records, pass a corrupted one through whole, and checkpoint an aggregate once all its parts settled', async () => {
    const streamName = newStream();
    await createStream(kinesis.client, streamName, 1);
    const users = [
      { partitionKey: 'alpha', data: 'one' },
      { partitionKey: 'beta', data: 'two', explicitHashKey: '12345' },
      { partitionKey: 'alpha', data: 'three', tags: [{ key: 't', value: 'v' }] },
    ];
    const good = aggregate(users);
    const corrupted = Uint8Array.from(aggregate([{ partitionKey: 'x', data: 'lost?' }]));
    corrupted[corrupted.length - 1]! ^= 0xff; // the MD5 no longer matches
    const plain = new TextEncoder().encode('plain');
    const sequenceNumbers: string[] = [];
    for (const [data, key] of [
      [good, 'alpha'],
      [corrupted, 'x'],
      [plain, 'p'],
    ] as const) {
      const out = await kinesis.client.send(new PutRecordCommand({ StreamName: streamName, Data: data, PartitionKey: key }));
      sequenceNumbers.push(out.SequenceNumber!);
    }
    const store = memoryCheckpointStore();
    const stop = new AbortController();
    const seen: FirehoseRecord[] = [];
    fromKinesisStream({
      client: kinesis.client,
      streamName,
      startingPosition: 'TRIM_HORIZON',
      checkpointStore: store,
      pollIntervalMs: 200,
      signal: stop.signal,
    }).subscribe((r) => seen.push(r));
    await waitFor(() => seen.length === 5, '3 sub-records, the corrupted record and the plain one');

    expect(seen.map((r) => ({ data: text(r), ...r.kinesisRecordMetadata!, approximateArrivalTimestamp: 0 }))).toEqual([
      {
        data: 'one',
        shardId: 'shardId-000000000000',
        partitionKey: 'alpha',
        sequenceNumber: sequenceNumbers[0],
        subsequenceNumber: 0,
        approximateArrivalTimestamp: 0,
      },
      {
        data: 'two',
        shardId: 'shardId-000000000000',
        partitionKey: 'beta',
        sequenceNumber: sequenceNumbers[0],
        subsequenceNumber: 1,
        approximateArrivalTimestamp: 0,
      },
      {
        data: 'three',
        shardId: 'shardId-000000000000',
        partitionKey: 'alpha',
        sequenceNumber: sequenceNumbers[0],
        subsequenceNumber: 2,
        approximateArrivalTimestamp: 0,
      },
      {
        data: new TextDecoder().decode(corrupted),
        shardId: 'shardId-000000000000',
        partitionKey: 'x',
        sequenceNumber: sequenceNumbers[1],
        subsequenceNumber: 0,
        approximateArrivalTimestamp: 0,
      },
      {
        data: 'plain',
        shardId: 'shardId-000000000000',
        partitionKey: 'p',
        sequenceNumber: sequenceNumbers[2],
        subsequenceNumber: 0,
        approximateArrivalTimestamp: 0,
      },
    ]);
    expect(seen[3]!.data).toEqual(corrupted);
    expect(new Set(seen.map((r) => r.recordId)).size).toBe(5);

    settleRecord(seen[0], 'delivered');
    settleRecord(seen[2], 'delivered');
    await delay(100);
    expect(store.get(streamName, 'shardId-000000000000')).toBeUndefined(); // sub-record 1 is in flight
    settleRecord(seen[1], 'delivered');
    await waitFor(() => store.get(streamName, 'shardId-000000000000') !== undefined, 'the checkpoint of the aggregate');
    expect(store.get(streamName, 'shardId-000000000000')).toEqual({ sequenceNumber: sequenceNumbers[0], subsequenceNumber: 2 });
    settleRecord(seen[3], 'delivered');
    settleRecord(seen[4], 'delivered');
    await waitFor(() => store.get(streamName, 'shardId-000000000000')?.sequenceNumber === sequenceNumbers[2], 'the last checkpoint');
    stop.abort();
  });

  it('should move the checkpoint and release the budget once per response for records settled while they are emitted', async () => {
    const streamName = newStream();
    await createStream(kinesis.client, streamName, 1);
    const put = await putRecords(
      kinesis.client,
      streamName,
      Array.from({ length: 40 }, (_, i) => ({ Data: Buffer.from(`r${i}\n`), PartitionKey: `k${i}` })),
    );
    const stop = new AbortController();
    const checkpoints: string[] = [];
    const inFlightBytes: number[] = [];
    let seen = 0;
    await lastValueFrom(
      fromKinesisStream({
        client: kinesis.client,
        streamName,
        startingPosition: 'TRIM_HORIZON',
        checkpointStore: memoryCheckpointStore(),
        maxRecordsPerCall: 10,
        pollIntervalMs: 200,
        signal: stop.signal,
        onInFlight: (budget) => inFlightBytes.push(budget.inFlightBytes),
        onCheckpoint: (_, checkpoint) => checkpoints.push(checkpoint.sequenceNumber),
      }).pipe(
        // A sink that stores each record as it comes (here: drops every other one), settling it at once.
        tap((r) => {
          settleRecord(r, seen++ % 2 === 0 ? 'delivered' : 'dropped');
          if (seen === 40) stop.abort();
        }),
      ),
    );
    await waitFor(() => checkpoints.at(-1) === put.at(-1)!.sequenceNumber, 'the last checkpoint');
    // Four responses of 10: per response, the bytes taken once and released once, not once per record.
    expect(inFlightBytes).toEqual([30, 0, 40, 0, 40, 0, 40, 0]); // r0…r9 are 3 bytes, r10…r39 4
    // Every checkpoint saved is the last record of a response (saves coalesce, so some responses may share one).
    const ends = new Set([9, 19, 29, 39].map((i) => put[i]!.sequenceNumber));
    expect(checkpoints.every((sequenceNumber) => ends.has(sequenceNumber))).toBe(true);
  });

  it('should stop on its signal: complete, let the pipeline drain, then save the final checkpoints', async () => {
    const streamName = newStream();
    await createStream(kinesis.client, streamName, 2);
    const put = await putRecords(
      kinesis.client,
      streamName,
      Array.from({ length: 50 }, (_, i) => ({ Data: Buffer.from(`r${i}\n`), PartitionKey: `k${i}` })),
    );
    const store = memoryCheckpointStore();
    const stop = new AbortController();
    const destination = memoryDestination<FirehoseRecord>({ latencyMs: 100 });
    let stoppedWith: unknown = 'not yet';
    let received = 0;
    const done = lastValueFrom(
      fromKinesisStream({
        client: kinesis.client,
        streamName,
        startingPosition: 'TRIM_HORIZON',
        checkpointStore: store,
        pollIntervalMs: 200,
        signal: stop.signal,
        onStopped: (err) => (stoppedWith = err),
      }).pipe(
        tap(() => received++),
        bufferBySizeOrTime({ maxMs: 60_000 }), // only completion flushes it
        deliverTo(destination),
      ),
    );
    await waitFor(() => received === 50, 'all records read');
    expect(destination.delivered).toHaveLength(0);
    stop.abort();
    await done;
    expect(destination.delivered).toHaveLength(50);
    await waitFor(() => stoppedWith !== 'not yet', 'onStopped');
    expect(stoppedWith).toBeUndefined();
    for (const shardId of new Set(put.map((p) => p.shardId))) {
      expect(store.get(streamName, shardId)?.sequenceNumber).toBe(put.filter((p) => p.shardId === shardId).at(-1)!.sequenceNumber);
    }
  });

  it('should end with a KinesisSourceError when the stream does not exist or is deleted', async () => {
    const missing = fromKinesisStream({ client: kinesis.client, streamName: 'no-such-stream', checkpointStore: memoryCheckpointStore() });
    const error = await lastValueFrom(missing).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KinesisSourceError);
    expect(error).toMatchObject({ code: 'ResourceNotFoundException', operation: 'ListShards', streamName: 'no-such-stream' });
    expect((error as Error).message).toMatch(
      /^fromKinesisStream: ListShards on stream "no-such-stream" failed with ResourceNotFoundException; it does not exist/,
    );

    const streamName = newStream();
    await createStream(kinesis.client, streamName, 1);
    let polled = false;
    const reading = lastValueFrom(
      fromKinesisStream({
        client: kinesis.client,
        streamName,
        checkpointStore: memoryCheckpointStore(),
        pollIntervalMs: 200,
        metrics: () => (polled = true),
      }),
    ).catch((err: unknown) => err);
    await waitFor(() => polled, 'the shard being read');
    await kinesis.client.send(new DeleteStreamCommand({ StreamName: streamName }));
    const deleted = await reading;
    expect(deleted).toBeInstanceOf(KinesisSourceError);
    expect(deleted).toMatchObject({ code: 'ResourceNotFoundException', shardId: 'shardId-000000000000' });
  });

  it('should refuse invalid options at construction, naming option, value and range', () => {
    const store = memoryCheckpointStore();
    const at = (options: object): unknown => {
      try {
        fromKinesisStream({ client: kinesis.client, checkpointStore: store, ...options } as never);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(at({ streamName: 'a', pollIntervalMs: 100 })).toBeInstanceOf(InvalidOptionError);
    expect((at({ streamName: 'a', pollIntervalMs: 100 }) as Error).message).toBe(
      'fromKinesisStream: pollIntervalMs must be an integer ≥ 200 and ≤ 240000 (ms); got 100',
    );
    expect((at({}) as Error).message).toBe(
      'fromKinesisStream: streamName must be a stream name: 1–128 characters of [a-zA-Z0-9_.-] (or give streamArn); got undefined',
    );
    expect((at({ streamName: 'a b' }) as InvalidOptionError).option).toBe('streamName');
    expect((at({ streamArn: 'arn:aws:s3:::bucket' }) as InvalidOptionError).option).toBe('streamArn');
    expect((at({ streamName: 'a', streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/a' }) as InvalidOptionError).option).toBe(
      'streamArn',
    );
    expect((at({ streamName: 'a', maxRecordsPerCall: 10_001 }) as Error).message).toBe(
      'fromKinesisStream: maxRecordsPerCall must be an integer ≥ 1 and ≤ 10000 (records); got 10001',
    );
    expect((at({ streamName: 'a', maxInFlightBytes: 0 }) as InvalidOptionError).option).toBe('maxInFlightBytes');
    expect((at({ streamName: 'a', startingPosition: 'EARLIEST' }) as Error).message).toBe(
      "fromKinesisStream: startingPosition must be 'LATEST', 'TRIM_HORIZON' or { timestampMs } with an epoch time in ms ≥ 0; got \"EARLIEST\"",
    );
    expect((at({ streamName: 'a', startingPosition: { timestampMs: -1 } }) as InvalidOptionError).option).toBe('startingPosition');
    expect((at({ streamName: 'a', checkpointStore: {} }) as InvalidOptionError).option).toBe('checkpointStore');
    expect((at({ streamName: 'a', backoff: { multiplier: 0.5 } }) as InvalidOptionError).option).toBe('backoff.multiplier');
    expect((at({ streamName: 'a', metrics: 'yes' }) as InvalidOptionError).option).toBe('metrics');
    expect((at({ streamName: 'a', client: {} }) as InvalidOptionError).option).toBe('client');
    expect(at({ streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/a', startingPosition: { timestampMs: 0 } })).toBeUndefined();
  });
});
