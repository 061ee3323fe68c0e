/**
 * Timing of fromKinesisStream in virtual time: polling cadence, the 5 calls/s limit, backoff on throttling
 * and transient errors, expired iterators, paging, the in-flight budget, parent-before-child, checkpoint saves.
 *
 * The Kinesis client here is FakeKinesisClient, a test double of the documented API (see its file): these
 * are the conditions kinesalite cannot produce (throttling, expiry, paging, lag) or cannot produce at exact
 * times. The same behaviours that kinesalite can show are tested against it in the other specs.
 */
import { GetRecordsCommand } from '@aws-sdk/client-kinesis';
import { firstValueFrom, timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { bufferBySizeOrTime } from '../../../operators/index.js';
import { InvalidOptionError, settleRecord, type FirehoseRecord, type MetricUnit } from '../../../src/index.js';
import {
  fromKinesisStream,
  KinesisSourceError,
  memoryCheckpointStore,
  SHARD_END,
  type CheckpointStore,
  type FromKinesisStreamOptions,
} from '../../../src/sources/kinesis/index.js';
import { FakeKinesisClient, expiredIterator, serviceError, throttled } from './fakeKinesisClient.js';
import { advanceTo, marbles, newTestScheduler } from './virtualTime.js';

const SHARD = 'shardId-000000000000';

function setup(
  options: Partial<FromKinesisStreamOptions> = {},
  build: (kinesis: FakeKinesisClient) => void = (k) => void k.addShard(SHARD),
) {
  const scheduler = (options.scheduler as TestScheduler | undefined) ?? newTestScheduler();
  const kinesis = new FakeKinesisClient(scheduler);
  build(kinesis);
  const store = memoryCheckpointStore();
  const stop = new AbortController();
  const metrics: Array<{ name: string; value: number; unit: MetricUnit; atMs: number }> = [];
  const records: FirehoseRecord[] = [];
  const result: { error?: unknown; completed: boolean; stopped: boolean } = { completed: false, stopped: false };
  const subscription = fromKinesisStream({
    client: kinesis,
    streamName: 'clicks',
    startingPosition: 'TRIM_HORIZON',
    checkpointStore: store,
    scheduler,
    random: () => 0.5, // no jitter: exact backoff
    signal: stop.signal,
    metrics: (name, value, unit) => metrics.push({ name, value, unit, atMs: scheduler.now() }),
    onStopped: () => (result.stopped = true),
    ...options,
  }).subscribe({ next: (r) => records.push(r), error: (error) => (result.error = error), complete: () => (result.completed = true) });
  const getRecordsAt = (): number[] => kinesis.callsOf('GetRecords').map((c) => c.atMs);
  return { scheduler, kinesis, store, stop, metrics, records, result, subscription, getRecordsAt };
}

const text = (r: FirehoseRecord): string => new TextDecoder().decode(r.data);

describe('fromKinesisStream polling (virtual time, FakeKinesisClient)', () => {
  it('should call GetRecords once per pollIntervalMs on a caught-up shard', async () => {
    const t = setup();
    await advanceTo(t.scheduler, 5_000);
    //                                       0 s   1 s   2 s   3 s   4 s   5 s
    expect(marbles(t.getRecordsAt(), 250, 5_000, 'G')).toBe('G---G---G---G---G---G');
    t.stop.abort();
  });

  it('should poll with its pollIntervalMs option', async () => {
    const t = setup({ pollIntervalMs: 2_500 });
    await advanceTo(t.scheduler, 10_000);
    expect(marbles(t.getRecordsAt(), 500, 10_000, 'G')).toBe('G----G----G----G----G');
    t.stop.abort();
  });

  it('should call every 200 ms (5 calls/s, the shard limit) while behind, then fall back to the poll interval', async () => {
    const t = setup({ maxRecordsPerCall: 2 });
    t.kinesis.put(SHARD, 'a', 'b', 'c', 'd', 'e');
    await advanceTo(t.scheduler, 3_400);
    // [a b] full → 200 ms; [c d] full → 200 ms; [e] caught up → 1 s; [] → 1 s …
    expect(marbles(t.getRecordsAt(), 200, 3_400, 'G')).toBe('GGG----G----G----G');
    expect(t.records.map(text)).toEqual(['a', 'b', 'c', 'd', 'e']);
    t.stop.abort();
  });

  it('should empty each GetRecords response as it emits its records, so the SDK records can be collected', async () => {
    const t = setup({ maxRecordsPerCall: 2 });
    // The responses as the source got them (a client must return a fresh array per call: the source empties it).
    const pages: unknown[][] = [];
    const send = t.kinesis.send.bind(t.kinesis) as (command: unknown) => Promise<unknown>;
    Object.assign(t.kinesis, {
      send: async (command: unknown) => {
        const output = await send(command);
        if (command instanceof GetRecordsCommand) pages.push((output as { Records: unknown[] }).Records);
        return output;
      },
    });
    t.kinesis.put(SHARD, 'a', 'b', 'c', 'd', 'e');
    await advanceTo(t.scheduler, 1_000);
    expect(t.records.map(text)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pages.filter((p) => p.length > 0).map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.every((p) => p.every((r) => r === undefined))).toBe(true);
    t.stop.abort();
  });

  it('should call every 200 ms while MillisBehindLatest > 0 even when a response is not full', async () => {
    const t = setup({ maxRecordsPerCall: 10 });
    t.kinesis.put(SHARD, 'a');
    t.kinesis.millisBehind = () => 5_000; // Kinesis says: 5 s behind the tip
    await advanceTo(t.scheduler, 1_400);
    expect(marbles(t.getRecordsAt(), 200, 1_400, 'G')).toBe('GG----G-'); // a → 200 ms; [] → 1 s
    expect(t.metrics.filter((m) => m.name === 'KinesisMillisBehindLatest').map((m) => [m.atMs, m.value, m.unit])).toEqual([
      [0, 5_000, 'Milliseconds'],
      [200, 5_000, 'Milliseconds'],
      [1_200, 5_000, 'Milliseconds'],
    ]);
    t.stop.abort();
  });

  it('should back off on ProvisionedThroughputExceededException (1 s, ×2) and count ThrottledGetRecords', async () => {
    const retries: unknown[] = [];
    const t = setup({ onRetry: (error) => retries.push(error) }); // throttles are counted, not told
    t.kinesis.put(SHARD, 'a');
    t.kinesis.failNext('GetRecords', 3, throttled);
    await advanceTo(t.scheduler, 9_000);
    // throttled at 0, 1, 3 s; waits 1, 2, 4 s; succeeds at 7 s, then polls every second
    expect(marbles(t.getRecordsAt(), 1_000, 9_000, 'G')).toBe('GG-G---GGG');
    expect(t.metrics.filter((m) => m.name === 'ThrottledGetRecords').map((m) => [m.atMs, m.value, m.unit])).toEqual([
      [0, 1, 'Count'],
      [1_000, 1, 'Count'],
      [3_000, 1, 'Count'],
    ]);
    expect(retries).toEqual([]);
    expect(t.records.map(text)).toEqual(['a']);
    t.stop.abort();
  });

  it('should retry transient errors forever with backoff capped at backoff.maxMs (10 s), telling onRetry of each', async () => {
    const retries: Array<[number, number, string]> = [];
    const t = setup({
      onRetry: (error, attempt) => retries.push([t.scheduler.now(), attempt, `${error.operation} ${error.shardId} ${error.code}`]),
    });
    t.kinesis.put(SHARD, 'a');
    t.kinesis.failNext('GetRecords', 8, () => serviceError('InternalFailureException', 'oops', 'server'));
    t.kinesis.failNext('ListShards', 1, () => serviceError('InternalFailureException', 'oops', 'server'));
    await advanceTo(t.scheduler, 61_000);
    expect(retries).toEqual([
      [0, 1, 'ListShards undefined InternalFailureException'],
      ...[1_000, 2_000, 4_000, 8_000, 16_000, 26_000, 36_000, 46_000].map((atMs, i) => [
        atMs,
        i + 1,
        `GetRecords ${SHARD} InternalFailureException`,
      ]),
    ]);
    expect(t.getRecordsAt().slice(0, 10)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 26_000, 36_000, 46_000, 56_000, 57_000]);
    expect(t.records.map(text)).toEqual(['a']);
    expect(t.result.error).toBeUndefined();
    t.stop.abort();
  });

  it('should retry throttled ListShards and GetShardIterator, counting ThrottledGetShardIterator', async () => {
    const t = setup();
    t.kinesis.failNext('ListShards', 1, () => serviceError('LimitExceededException', 'Rate exceeded'));
    t.kinesis.failNext('GetShardIterator', 2, throttled);
    await advanceTo(t.scheduler, 5_000);
    expect(t.kinesis.callsOf('ListShards').map((c) => c.atMs)).toEqual([0, 1_000]);
    expect(t.kinesis.callsOf('GetShardIterator').map((c) => c.atMs)).toEqual([1_000, 2_000, 4_000]);
    expect(t.getRecordsAt()[0]).toBe(4_000);
    expect(t.metrics.filter((m) => m.name === 'ThrottledGetShardIterator')).toHaveLength(2);
    t.stop.abort();
  });

  it('should renew an expired iterator AFTER_SEQUENCE_NUMBER of the last record read, emitting nothing twice', async () => {
    const t = setup();
    const [, second] = t.kinesis.put(SHARD, 'a', 'b');
    await advanceTo(t.scheduler, 500);
    t.kinesis.put(SHARD, 'c');
    t.kinesis.failNext('GetRecords', 1, expiredIterator);
    await advanceTo(t.scheduler, 2_000);
    const iterators = t.kinesis
      .callsOf('GetShardIterator')
      .map((c) => [c.atMs, c.input['ShardIteratorType'], c.input['StartingSequenceNumber']]);
    expect(iterators).toEqual([
      [0, 'TRIM_HORIZON', undefined],
      [1_000, 'AFTER_SEQUENCE_NUMBER', second],
    ]);
    expect(t.getRecordsAt()).toEqual([0, 1_000, 1_000, 2_000]); // the renewed iterator is used at once
    expect(t.records.map(text)).toEqual(['a', 'b', 'c']);
    t.stop.abort();
  });

  it('should renew an expired LATEST iterator that read nothing at its last position minus 60 s, so no record is skipped', async () => {
    const t = setup({ startingPosition: 'LATEST' });
    await advanceTo(t.scheduler, 120_000);
    t.kinesis.failNext('GetRecords', 1, expiredIterator);
    await advanceTo(t.scheduler, 121_000);
    const renewed = t.kinesis.callsOf('GetShardIterator')[1]!;
    expect(renewed.input['ShardIteratorType']).toBe('AT_TIMESTAMP');
    expect((renewed.input['Timestamp'] as Date).getTime()).toBe(120_000 - 60_000);
    t.stop.abort();
  });

  it('should page through ListShards with NextToken and read every shard', async () => {
    const t = setup({}, (k) => {
      k.pageSize = 2;
      for (let i = 0; i < 5; i++) k.put(k.addShard(`shardId-00000000000${i}`).shardId, `from-${i}`);
    });
    await advanceTo(t.scheduler, 100);
    expect(t.kinesis.callsOf('ListShards').map((c) => c.input)).toEqual([
      { StreamName: 'clicks' },
      { NextToken: 'page-2' },
      { NextToken: 'page-4' },
    ]);
    expect(t.records.map(text).sort()).toEqual(['from-0', 'from-1', 'from-2', 'from-3', 'from-4']);
    t.stop.abort();
  });

  it('should start a listing over when its NextToken expired', async () => {
    const t = setup({}, (k) => {
      k.pageSize = 1;
      k.put(k.addShard('shardId-000000000000').shardId, 'a');
      k.put(k.addShard('shardId-000000000001').shardId, 'b');
      let expired = false;
      k.failWhen('ListShards', (input) => {
        if (input['NextToken'] !== 'page-1' || expired) return undefined;
        expired = true;
        return serviceError('ExpiredNextTokenException', 'The timestamp of the NextToken has expired');
      });
    });
    await advanceTo(t.scheduler, 100);
    expect(t.kinesis.callsOf('ListShards').map((c) => c.input)).toEqual([
      { StreamName: 'clicks' },
      { NextToken: 'page-1' },
      { StreamName: 'clicks' },
      { NextToken: 'page-1' },
    ]);
    expect(t.records.map(text).sort()).toEqual(['a', 'b']);
    t.stop.abort();
  });

  it('should send StreamARN instead of StreamName when given an ARN', async () => {
    const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/clicks';
    const t = setup({ streamArn: arn, streamName: undefined });
    await advanceTo(t.scheduler, 100);
    expect(t.kinesis.callsOf('ListShards')[0]!.input).toEqual({ StreamARN: arn });
    expect(t.kinesis.callsOf('GetShardIterator')[0]!.input).toMatchObject({ StreamARN: arn, ShardId: SHARD });
    expect(t.kinesis.callsOf('GetRecords')[0]!.input).toMatchObject({ StreamARN: arn });
    t.stop.abort();
  });

  it('should not call GetRecords while the in-flight bytes reach maxInFlightBytes, and resume as they settle', async () => {
    const inFlight: number[] = [];
    const t = setup({ maxInFlightBytes: 10, maxRecordsPerCall: 3, onInFlight: (budget) => inFlight.push(budget.inFlightBytes) }, (k) => {
      k.put(k.addShard(SHARD).shardId, 'aaaa', 'bbbb', 'cccc', 'dddd', 'eeee', 'ffff');
    });
    await advanceTo(t.scheduler, 5_000);
    // One response of 3 × 4 bytes = 12 ≥ 10: no call after it, however long we wait.
    expect(t.getRecordsAt()).toEqual([0]);
    expect(t.records.map(text)).toEqual(['aaaa', 'bbbb', 'cccc']);
    settleRecord(t.records[0], 'delivered'); // 8 bytes in flight: room again
    await advanceTo(t.scheduler, 5_001);
    expect(t.getRecordsAt()).toEqual([0, 5_000]); // the 200 ms spacing had long passed
    expect(t.records.map(text)).toEqual(['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee', 'ffff']);
    for (const r of t.records) settleRecord(r, 'delivered');
    await advanceTo(t.scheduler, 6_000);
    expect(t.getRecordsAt()).toEqual([0, 5_000, 5_200]); // [d e f] was full: 200 ms; then caught up: 1 s
    expect(Math.max(...inFlight)).toBe(20); // 8 in flight + one response of 12: the budget plus one response
    expect(inFlight.at(-1)).toBe(0);
    t.stop.abort();
  });

  it('should flush a buffer larger than the budget at once when a response fills the budget, not at its interval', async () => {
    const scheduler = newTestScheduler();
    const kinesis = new FakeKinesisClient(scheduler);
    kinesis.put(kinesis.addShard(SHARD).shardId, 'aaaa', 'bbbb', 'cccc', 'dddd', 'eeee', 'ffff');
    const stop = new AbortController();
    const flushes: { batch: string[]; reason: string; atMs: number }[] = [];
    fromKinesisStream({
      client: kinesis,
      streamName: 'clicks',
      startingPosition: 'TRIM_HORIZON',
      checkpointStore: memoryCheckpointStore(),
      scheduler,
      signal: stop.signal,
      maxInFlightBytes: 10,
      maxRecordsPerCall: 3,
    })
      .pipe(
        // A buffer of 1 MiB over a budget of 10 bytes: it can never fill.
        bufferBySizeOrTime({
          maxBytes: 1_048_576,
          maxMs: 60_000,
          scheduler,
          onFlush: (batch, f) => void flushes.push({ batch: batch.map(text), reason: f.reason, atMs: scheduler.now() }),
        }),
      )
      .subscribe((batch) => batch.forEach((r) => settleRecord(r, 'delivered')));
    await advanceTo(scheduler, 1_000);
    // The first response (12 bytes ≥ 10) filled the budget: out at once, which frees the budget for the next
    // call 200 ms later (the shard is behind), whose response fills it again.
    expect(flushes).toEqual([
      { batch: ['aaaa', 'bbbb', 'cccc'], reason: 'budget', atMs: 0 },
      { batch: ['dddd', 'eeee', 'ffff'], reason: 'budget', atMs: 200 },
    ]);
    stop.abort();
  });

  it('should count a record in the budget until the checkpoint passes it: one stuck early record stops reading, bounding replay and memory', async () => {
    const inFlight: number[] = [];
    const t = setup({ maxInFlightBytes: 10, maxRecordsPerCall: 5, onInFlight: (budget) => inFlight.push(budget.inFlightBytes) });
    const settleAllButFirst = (): void => t.records.slice(1).forEach((r) => settleRecord(r, 'delivered'));
    for (let s = 0; s < 60; s++) {
      t.kinesis.put(SHARD, 'xx', 'yy', 'zz', 'ww', 'vv');
      await advanceTo(t.scheduler, (s + 1) * 1_000);
      settleAllButFirst(); // everything but the very first record settles at once
    }
    // The first response (5 × 2 bytes) filled the budget; the records settled behind the stuck one still count:
    // no second GetRecords call, so a crash would replay at most the budget plus one response.
    expect(t.records).toHaveLength(5);
    expect(t.getRecordsAt()).toEqual([0]);
    expect(Math.max(...inFlight)).toBe(10);
    expect(inFlight.at(-1)).toBe(10);
    expect(t.store.saves).toEqual([]); // the checkpoint cannot move: nothing saved
    settleRecord(t.records[0], 'delivered'); // the checkpoint passes all five: room again
    expect(inFlight.at(-1)).toBe(0);
    await advanceTo(t.scheduler, 61_000);
    expect(t.store.get('clicks', SHARD)?.sequenceNumber).toBe(t.records[4]!.kinesisRecordMetadata!.sequenceNumber);
    expect(t.records.length).toBeGreaterThan(5); // reading went on
    t.stop.abort();
  });

  it('should end with KinesisSourceError when a permission is missing, naming what is needed', async () => {
    const t = setup();
    t.kinesis.failNext('GetRecords', 1, () =>
      serviceError('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: kinesis:GetRecords'),
    );
    await advanceTo(t.scheduler, 100);
    expect(t.result.error).toBeInstanceOf(KinesisSourceError);
    expect((t.result.error as KinesisSourceError).message).toBe(
      'fromKinesisStream: GetRecords on shardId-000000000000 of stream "clicks" failed with AccessDeniedException; permission is missing: reading needs kinesis:ListShards, kinesis:GetShardIterator and kinesis:GetRecords on the stream (User: arn:aws:iam::1:user/x is not authorized to perform: kinesis:GetRecords)',
    );
    // Reading stopped: no call after the error.
    await advanceTo(t.scheduler, 5_000);
    expect(t.getRecordsAt()).toEqual([0]);
  });

  it('should read a parent to its end and wait for its SHARD_END checkpoint (all settled) before its children, for a split and a merge', async () => {
    const t = setup({}, (k) => {
      const parent = k.addShard('shardId-000000000000');
      k.put(parent.shardId, 'p1', 'p2');
      parent.closed = true;
      k.put(k.addShard('shardId-000000000001', { parentShardId: parent.shardId }).shardId, 'c1');
      k.put(k.addShard('shardId-000000000002', { parentShardId: parent.shardId }).shardId, 'c2');
      k.put(
        k.addShard('shardId-000000000003', { parentShardId: 'shardId-000000000001', adjacentParentShardId: 'shardId-000000000002' })
          .shardId,
        'm',
      );
      k.shards[1]!.closed = true;
      k.shards[2]!.closed = true;
    });
    await advanceTo(t.scheduler, 5_000);
    // The parent was read to its end (its records are in flight): its children wait.
    expect(t.records.map(text)).toEqual(['p1', 'p2']);
    expect(t.kinesis.callsOf('GetShardIterator').map((c) => c.input['ShardId'])).toEqual(['shardId-000000000000']);
    settleRecord(t.records[1], 'delivered');
    await advanceTo(t.scheduler, 6_000);
    expect(t.records).toHaveLength(2); // p1 still in flight
    settleRecord(t.records[0], 'delivered');
    await advanceTo(t.scheduler, 7_000);
    expect(t.store.get('clicks', 'shardId-000000000000')).toEqual({ sequenceNumber: 'SHARD_END', subsequenceNumber: 0 });
    expect(t.records.map(text).slice(2).sort()).toEqual(['c1', 'c2']);
    const children = t.kinesis.callsOf('GetShardIterator').slice(1);
    expect(children.map((c) => [c.atMs, c.input['ShardId'], c.input['ShardIteratorType']])).toEqual([
      [6_000, 'shardId-000000000001', 'TRIM_HORIZON'],
      [6_000, 'shardId-000000000002', 'TRIM_HORIZON'],
    ]);
    // The merged shard needs both of its parents finished.
    settleRecord(
      t.records.find((r) => text(r) === 'c1'),
      'delivered',
    );
    await advanceTo(t.scheduler, 9_000);
    expect(t.records.map(text)).not.toContain('m');
    settleRecord(
      t.records.find((r) => text(r) === 'c2'),
      'delivered',
    );
    await advanceTo(t.scheduler, 10_000);
    expect(t.records.map(text).at(-1)).toBe('m');
    t.stop.abort();
  });

  it('should, at LATEST, read the children of a checkpointed parent that aged out of ListShards from TRIM_HORIZON, closed ones included', async () => {
    // An earlier run finished shard 0 (SHARD_END), which then aged out of the listing. Meanwhile its child 1
    // got records and was split in turn into 2 and 3, which got records too.
    const t = setup(
      {
        startingPosition: 'LATEST',
        checkpointStore: memoryCheckpointStore({ clicks: { 'shardId-000000000000': { sequenceNumber: SHARD_END, subsequenceNumber: 0 } } }),
      },
      (k) => {
        const child = k.addShard('shardId-000000000001', { parentShardId: 'shardId-000000000000' });
        k.put(child.shardId, 'c1', 'c2');
        child.closed = true;
        k.put(k.addShard('shardId-000000000002', { parentShardId: child.shardId }).shardId, 'g1');
        k.put(k.addShard('shardId-000000000003', { parentShardId: child.shardId }).shardId, 'g2');
      },
    );
    await advanceTo(t.scheduler, 1_000);
    expect(t.records.map(text)).toEqual(['c1', 'c2']);
    for (const r of t.records) settleRecord(r, 'delivered'); // the closed child's SHARD_END lets 2 and 3 start
    await advanceTo(t.scheduler, 5_000);
    for (const r of t.records) settleRecord(r, 'delivered');
    expect(
      t.kinesis.callsOf('GetShardIterator').map((c) => `${String(c.input['ShardId'])} ${String(c.input['ShardIteratorType'])}`),
    ).toEqual(['shardId-000000000001 TRIM_HORIZON', 'shardId-000000000002 TRIM_HORIZON', 'shardId-000000000003 TRIM_HORIZON']);
    expect(t.records.map(text)).toEqual(['c1', 'c2', 'g1', 'g2']);
    t.stop.abort();
  });

  it('should complete at once when stopped during a backoff, and report onStopped once everything settled and was saved', async () => {
    const t = setup();
    t.kinesis.put(SHARD, 'a');
    await advanceTo(t.scheduler, 500);
    t.kinesis.failNext('GetRecords', 1, throttled);
    await advanceTo(t.scheduler, 1_500); // throttled at 1 s: backing off until 2 s
    t.stop.abort();
    await advanceTo(t.scheduler, 1_500);
    expect(t.result.completed).toBe(true);
    expect(t.result.stopped).toBe(false); // 'a' is in flight
    settleRecord(t.records[0], 'delivered');
    await advanceTo(t.scheduler, 1_500);
    expect(t.result.stopped).toBe(true);
    expect(t.store.get('clicks', SHARD)?.sequenceNumber).toBe(t.records[0]!.kinesisRecordMetadata!.sequenceNumber);
    await advanceTo(t.scheduler, 10_000);
    expect(t.getRecordsAt()).toEqual([0, 1_000]);
  });

  it('should stop reading when unsubscribed', async () => {
    const t = setup();
    await advanceTo(t.scheduler, 2_000);
    t.subscription.unsubscribe();
    await advanceTo(t.scheduler, 10_000);
    expect(t.getRecordsAt()).toEqual([0, 1_000, 2_000]);
    expect(t.scheduler.actions).toHaveLength(0); // no timer left behind
  });

  it('should turn a metrics hook that throws into a stream error', async () => {
    const t = setup({
      metrics: () => {
        throw new Error('sink down');
      },
    });
    await advanceTo(t.scheduler, 100);
    expect((t.result.error as Error).message).toBe('sink down');
  });

  it('should refuse a poll interval above 240 s: shard iterators expire after 5 minutes', () => {
    expect(() => setup({ pollIntervalMs: 300_000 })).toThrow(InvalidOptionError);
  });
});

describe('fromKinesisStream checkpoint saves (virtual time, FakeKinesisClient)', () => {
  /** A memory store whose saves take `latencyMs` on the scheduler and fail as `failures` says, in order. */
  function slowStore(scheduler: TestScheduler, latencyMs: number, failures: Array<() => Error>) {
    const inner = memoryCheckpointStore();
    const store: CheckpointStore = {
      load: (streamName) => inner.load(streamName),
      save: async (streamName, checkpoints) => {
        await firstValueFrom(timer(latencyMs, scheduler));
        const failure = failures.shift();
        if (failure !== undefined) throw failure();
        await inner.save(streamName, checkpoints);
      },
    };
    return { store, inner };
  }

  it('should retry a failed save with backoff, and keep the newest checkpoint of each shard', async () => {
    const scheduler = newTestScheduler();
    const { store, inner } = slowStore(scheduler, 0, [
      () => serviceError('InternalServerError', 'oops', 'server'),
      () => serviceError('ThrottlingException', 'slow down'),
    ]);
    const saved: Array<[number, string]> = [];
    const t = setup(
      { scheduler, checkpointStore: store, onCheckpoint: (_, c) => saved.push([scheduler.now(), c.sequenceNumber]) },
      (k) => void k.put(k.addShard(SHARD).shardId, 'a', 'b'),
    );
    await advanceTo(t.scheduler, 100);
    settleRecord(t.records[0], 'delivered'); // save of a: fails at 100, retried at 1100 (fails), at 3100
    await advanceTo(t.scheduler, 1_500);
    settleRecord(t.records[1], 'delivered'); // b replaces a while the retry waits
    await advanceTo(t.scheduler, 5_000);
    const [, b] = t.records.map((r) => r.kinesisRecordMetadata!.sequenceNumber);
    expect(saved).toEqual([[3_100, b]]);
    expect(inner.saves).toHaveLength(1);
    t.stop.abort();
  });

  it('should coalesce checkpoints while a save is in flight: one write at a time, with the latest of each shard', async () => {
    const scheduler = newTestScheduler();
    const { store, inner } = slowStore(scheduler, 500, []);
    const t = setup({ scheduler, checkpointStore: store }, (k) => void k.put(k.addShard(SHARD).shardId, 'a', 'b', 'c', 'd'));
    await advanceTo(t.scheduler, 100);
    const seq = t.records.map((r) => r.kinesisRecordMetadata!.sequenceNumber);
    settleRecord(t.records[0], 'delivered'); // save 1 (a) from 100 to 600
    await advanceTo(t.scheduler, 200);
    settleRecord(t.records[1], 'delivered');
    settleRecord(t.records[2], 'delivered');
    await advanceTo(t.scheduler, 300);
    settleRecord(t.records[3], 'delivered'); // b, c, d wait: save 2 (d only) from 600 to 1100
    await advanceTo(t.scheduler, 2_000);
    expect(inner.saves.map((s) => [...s.checkpoints.values()].map((c) => c.sequenceNumber))).toEqual([[seq[0]], [seq[3]]]);
    t.stop.abort();
  });

  it('should end with KinesisSourceError when the store refuses for good', async () => {
    const scheduler = newTestScheduler();
    const { store } = slowStore(scheduler, 0, [
      () => serviceError('AccessDeniedException', 'not authorized to perform: dynamodb:UpdateItem'),
    ]);
    const t = setup({ scheduler, checkpointStore: store }, (k) => void k.put(k.addShard(SHARD).shardId, 'a'));
    await advanceTo(t.scheduler, 100);
    settleRecord(t.records[0], 'delivered');
    await advanceTo(t.scheduler, 200);
    expect(t.result.error).toBeInstanceOf(KinesisSourceError);
    expect(t.result.error).toMatchObject({ operation: 'CheckpointStore.save', code: 'AccessDeniedException' });
  });
});
