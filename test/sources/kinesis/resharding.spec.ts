import { MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { randomUUID } from 'node:crypto';
import { lastValueFrom, tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { bufferBySizeOrTime, deliverTo } from '../../../operators/index.js';
import type { FirehoseRecord } from '../../../src/index.js';
import {
  fromKinesisStream,
  memoryCheckpointStore,
  type Checkpoint,
  type MemoryCheckpointStore,
} from '../../../src/sources/kinesis/index.js';
import { memoryDestination } from '../../../src/testing/index.js';
import { createStream, putRecords, useKinesalite, waitForActive } from '../../support/kinesalite.js';
import { delay, waitFor } from './waitFor.js';

// Resharding against a real Kinesis API: kinesalite on 127.0.0.1 (split and merge work there; a closed parent
// ends with a null NextShardIterator; ChildShards are never returned, so children are found by ListShards).
const kinesis = useKinesalite();

const MIDDLE_HASH_KEY = (2n ** 127n).toString();
const KEYS = 8;

/** Puts records `key-<k>:<n>` (n counts per key) in the background until stopped; returns what it put. */
function producer(streamName: string) {
  const put: string[] = [];
  const counters = new Array<number>(KEYS).fill(0);
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => {
        const k = (i * 10 + j) % KEYS;
        return `key-${k}:${counters[k]!++}`;
      });
      await putRecords(
        kinesis.client,
        streamName,
        batch.map((data) => ({ Data: Buffer.from(data), PartitionKey: data.split(':')[0]! })),
      );
      put.push(...batch);
      await delay(25);
    }
  })();
  return {
    put,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

type Event =
  | { readonly kind: 'record'; readonly shardId: string; readonly data: string }
  | { readonly kind: 'checkpoint'; readonly shardId: string; readonly checkpoint: Checkpoint };

/** The source → buffer → deliverTo(memory) pipeline, logging records as emitted and checkpoints as saved, in one timeline. */
function pipeline(streamName: string, store: MemoryCheckpointStore, startingPosition: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON') {
  const events: Event[] = [];
  let polls = 0; // GetRecords responses, counted by the source's metrics
  const destination = memoryDestination<FirehoseRecord>();
  const stop = new AbortController();
  let stopped = false;
  const done = lastValueFrom(
    fromKinesisStream({
      client: kinesis.client,
      streamName,
      startingPosition,
      checkpointStore: store,
      pollIntervalMs: 200,
      shardSyncIntervalMs: 500,
      signal: stop.signal,
      onCheckpoint: (shardId, checkpoint) => events.push({ kind: 'checkpoint', shardId, checkpoint }),
      onStopped: () => (stopped = true),
      metrics: (name) => {
        if (name === 'KinesisMillisBehindLatest') polls++;
      },
    }).pipe(
      tap((r) => events.push({ kind: 'record', shardId: r.kinesisRecordMetadata!.shardId, data: new TextDecoder().decode(r.data) })),
      bufferBySizeOrTime({ maxMs: 100, maxRecords: 25 }),
      deliverTo(destination),
    ),
    { defaultValue: undefined },
  );
  const delivered = (): string[] => destination.delivered.map((r) => new TextDecoder().decode(r.data));
  return {
    events,
    delivered,
    /** GetRecords responses received so far. */
    polls: () => polls,
    stop: async () => {
      stop.abort();
      await done;
      await waitFor(() => stopped, 'final checkpoints');
    },
  };
}

/** Per partition key, the sequence of counters, in the order given. */
function perKey(data: readonly string[]): Map<string, number[]> {
  const keys = new Map<string, number[]>();
  for (const d of data) {
    const [key, n] = d.split(':') as [string, string];
    keys.set(key, [...(keys.get(key) ?? []), Number(n)]);
  }
  return keys;
}

/** Checks, in the timeline, that each child's first record comes after its parents' SHARD_END checkpoints. */
function expectParentsFirst(events: readonly Event[], parentsOf: Record<string, string[]>): void {
  for (const [child, parents] of Object.entries(parentsOf)) {
    const firstOfChild = events.findIndex((e) => e.kind === 'record' && e.shardId === child);
    expect(firstOfChild, `${child} was read`).toBeGreaterThanOrEqual(0);
    for (const parent of parents) {
      const lastOfParent = events.reduce((last, e, i) => (e.kind === 'record' && e.shardId === parent ? i : last), -1);
      const parentEnd = events.findIndex(
        (e) => e.kind === 'checkpoint' && e.shardId === parent && e.checkpoint.sequenceNumber === 'SHARD_END',
      );
      expect(parentEnd, `${parent} reached SHARD_END`).toBeGreaterThan(lastOfParent);
      expect(firstOfChild, `${child} starts after ${parent}'s SHARD_END`).toBeGreaterThan(parentEnd);
    }
  }
}

describe('fromKinesisStream resharding (kinesalite)', () => {
  it('should lose no record and keep each key in order when the stream is split and merged while it is read', async () => {
    const streamName = `s-${randomUUID().slice(0, 8)}`;
    await createStream(kinesis.client, streamName, 1);
    const store = memoryCheckpointStore();
    const producing = producer(streamName);
    const reading = pipeline(streamName, store);

    await waitFor(() => reading.delivered().length >= 50, 'records before the split');
    await kinesis.client.send(
      new SplitShardCommand({ StreamName: streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: MIDDLE_HASH_KEY }),
    );
    await waitForActive(kinesis.client, streamName);
    await delay(1_200);
    await kinesis.client.send(
      new MergeShardsCommand({
        StreamName: streamName,
        ShardToMerge: 'shardId-000000000001',
        AdjacentShardToMerge: 'shardId-000000000002',
      }),
    );
    await waitForActive(kinesis.client, streamName);
    await delay(1_200);
    await producing.stop();
    await waitFor(() => reading.delivered().length >= producing.put.length, `all ${producing.put.length} records delivered`, 30_000);
    await reading.stop();

    const delivered = reading.delivered();
    expect(delivered.slice().sort()).toEqual(producing.put.slice().sort()); // every record, once
    expect(perKey(delivered)).toEqual(perKey(producing.put)); // each key in order
    const shardsRead = new Set(reading.events.flatMap((e) => (e.kind === 'record' ? [e.shardId] : [])));
    expect([...shardsRead].sort()).toEqual([
      'shardId-000000000000',
      'shardId-000000000001',
      'shardId-000000000002',
      'shardId-000000000003',
    ]);
    expectParentsFirst(reading.events, {
      'shardId-000000000001': ['shardId-000000000000'],
      'shardId-000000000002': ['shardId-000000000000'],
      'shardId-000000000003': ['shardId-000000000001', 'shardId-000000000002'],
    });
    for (const parent of ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002'])
      expect(store.get(streamName, parent)?.sequenceNumber).toBe('SHARD_END');
    expect(store.get(streamName, 'shardId-000000000003')?.sequenceNumber).toMatch(/^\d+$/);
    console.log(
      `resharding: ${producing.put.length} records put across a split and a merge, ${delivered.length} delivered, per shard:`,
      Object.fromEntries([...shardsRead].map((id) => [id, reading.events.filter((e) => e.kind === 'record' && e.shardId === id).length])),
    );
  }, 40_000);

  it('should finish a checkpointed parent after a restart before reading the children created while it was down', async () => {
    const streamName = `s-${randomUUID().slice(0, 8)}`;
    await createStream(kinesis.client, streamName, 1);
    const store = memoryCheckpointStore();
    const before = Array.from({ length: 40 }, (_, i) => `key-${i % KEYS}:${Math.floor(i / KEYS)}`);
    await putRecords(
      kinesis.client,
      streamName,
      before.map((data) => ({ Data: Buffer.from(data), PartitionKey: data.split(':')[0]! })),
    );
    const first = pipeline(streamName, store);
    await waitFor(() => first.delivered().length === 40, 'the first run');
    await first.stop();
    const checkpoint = store.get(streamName, 'shardId-000000000000');
    expect(checkpoint?.sequenceNumber).toMatch(/^\d+$/);

    // While no one reads: more records into the shard, then a split, then records into the children.
    const more = Array.from({ length: 40 }, (_, i) => `key-${i % KEYS}:${5 + Math.floor(i / KEYS)}`);
    await putRecords(
      kinesis.client,
      streamName,
      more.slice(0, 16).map((data) => ({ Data: Buffer.from(data), PartitionKey: data.split(':')[0]! })),
    );
    await kinesis.client.send(
      new SplitShardCommand({ StreamName: streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: MIDDLE_HASH_KEY }),
    );
    await waitForActive(kinesis.client, streamName);
    await putRecords(
      kinesis.client,
      streamName,
      more.slice(16).map((data) => ({ Data: Buffer.from(data), PartitionKey: data.split(':')[0]! })),
    );

    // LATEST applies to shards without a checkpoint and no parent of ours: here the parent is ours, so nothing is skipped.
    const second = pipeline(streamName, store, 'LATEST');
    await waitFor(() => second.delivered().length >= 40, 'the second run', 20_000);
    await delay(500);
    await second.stop();
    expect(second.delivered().slice().sort()).toEqual(more.slice().sort());
    expect(perKey(second.delivered())).toEqual(perKey(more));
    expectParentsFirst(second.events, {
      'shardId-000000000001': ['shardId-000000000000'],
      'shardId-000000000002': ['shardId-000000000000'],
    });
  }, 40_000);

  it('should, starting at LATEST on a resharded stream, skip closed shards and read only what comes next', async () => {
    const streamName = `s-${randomUUID().slice(0, 8)}`;
    await createStream(kinesis.client, streamName, 1);
    await putRecords(kinesis.client, streamName, [{ Data: Buffer.from('old:0'), PartitionKey: 'a' }]);
    await kinesis.client.send(
      new SplitShardCommand({ StreamName: streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: MIDDLE_HASH_KEY }),
    );
    await waitForActive(kinesis.client, streamName);
    await putRecords(kinesis.client, streamName, [{ Data: Buffer.from('old:1'), PartitionKey: 'a' }]);
    const store = memoryCheckpointStore();
    const reading = pipeline(streamName, store, 'LATEST');
    await waitFor(() => reading.polls() >= 2, 'both open shards polled at LATEST');
    const fresh = Array.from({ length: 16 }, (_, i) => `new-${i}:0`);
    await putRecords(
      kinesis.client,
      streamName,
      fresh.map((data) => ({ Data: Buffer.from(data), PartitionKey: data })),
    );
    await waitFor(() => reading.delivered().length >= 16, 'the new records');
    await delay(300);
    await reading.stop();
    expect(reading.delivered().slice().sort()).toEqual(fresh.slice().sort());
    expect(reading.events.some((e) => e.shardId === 'shardId-000000000000')).toBe(false);
  }, 20_000);
});
