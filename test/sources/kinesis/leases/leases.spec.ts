/**
 * Shard leases across workers, against kinesalite and dynalite, in virtual time (see ioClock.ts): several
 * in-process workers, each a whole pipeline with its own clients, share one stream through the lease table.
 * The real multi-process case (SIGKILL of a process) is leaseProcesses.spec.ts.
 */
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClientFor, startDynalite, type Dynalite } from '../../../support/dynalite.js';
import {
  createStream,
  kinesisClientFor,
  putRecords,
  startKinesalite,
  waitForActive,
  type Kinesalite,
} from '../../../support/kinesalite.js';
import { newTestScheduler } from '../virtualTime.js';
import { IoClock } from './ioClock.js';
import { readersPerShard, startWorker, type Event, type Worker, type WorkerSetup } from './leaseWorkers.js';

let kinesalite: Kinesalite;
let dynalite: Dynalite;
let kinesis: KinesisClient;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  [kinesalite, dynalite] = await Promise.all([startKinesalite(), startDynalite()]);
  kinesis = kinesisClientFor(kinesalite.endpoint);
  dynamo = dynamoDbClientFor(dynalite.endpoint);
});

afterAll(async () => {
  kinesis?.destroy();
  dynamo?.destroy();
  await Promise.all([kinesalite?.stop(), dynalite?.stop()]);
});

let streams = 0;

/** A new 12-shard stream with `records` records in it, and a new lease table (created by the first worker). */
async function setUp(records: number): Promise<WorkerSetup & { put: (from: number, to: number) => Promise<void> }> {
  const streamName = `leases-${++streams}`;
  await createStream(kinesis, streamName, 12);
  const put = async (from: number, to: number): Promise<void> => {
    await putRecords(
      kinesis,
      streamName,
      Array.from({ length: to - from }, (_, i) => ({ Data: Buffer.from(`r${from + i}`), PartitionKey: `key-${from + i}` })),
    );
  };
  await put(0, records);
  return {
    clock: new IoClock(newTestScheduler()),
    kinesis,
    dynamo,
    streamName,
    tableName: `leases-table-${streams}`,
    events: [],
    leaseOptions: { createTable: true },
    put,
  };
}

function range(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `r${from + i}`);
}

function allDelivered(workers: readonly Worker[]): string[] {
  return workers.flatMap((w) => w.delivered());
}

function duplicatesOf(delivered: readonly string[]): string[] {
  const seen = new Set<string>();
  return delivered.filter((d) => (seen.has(d) ? true : (seen.add(d), false)));
}

async function leaseOwners(setup: WorkerSetup): Promise<Map<string, string | undefined>> {
  const { Items } = await dynamo.send(
    new QueryCommand({
      TableName: setup.tableName,
      KeyConditionExpression: 'streamName = :s',
      ExpressionAttributeValues: { ':s': { S: setup.streamName } },
      ConsistentRead: true,
    }),
  );
  return new Map((Items ?? []).map((item) => [item['shardId']!.S!, item['leaseOwner']?.S]));
}

describe('dynamoDbLeases (kinesalite + dynalite, virtual time)', () => {
  it('should share a 12-shard stream 4/4/4, hand over on a graceful stop at once, rebalance to a new worker, and take over a killed one after expiry', async () => {
    const setup = await setUp(600);
    const { clock } = setup;
    const [a, b, c] = ['A', 'B', 'C'].map((name) => startWorker(name, setup)) as [Worker, Worker, Worker];
    const holding = (workers: readonly Worker[], leases: number) => () => workers.every((w) => w.leasesHeld === leases);

    // 1. Three workers: 4 leases each, every record delivered.
    await clock.advanceUntil(holding([a, b, c], 4), 'A, B and C hold 4 leases each', 300_000, 5_000);
    await setup.put(600, 900);
    await clock.advanceUntil(() => new Set(allDelivered([a, b, c])).size === 900, 'every record delivered', 60_000);
    expect(readersPerShard(setup.events).size).toBe(12); // throws if two workers read one shard at once

    // 2. C stops gracefully mid-stream: it drains, writes its final checkpoints and releases its leases, which
    //    A and B take at their next balance round (no wait for expiry), from those checkpoints: no duplicates.
    await setup.put(900, 1_200);
    await clock.advanceBy(1_500);
    const stoppedAtMs = clock.nowMs;
    c.stop();
    await clock.advanceUntil(() => c.stopped, 'C drained and released its leases', 30_000, 500);
    expect(c.error).toBeUndefined();
    await clock.advanceUntil(holding([a, b], 6), 'A and B hold 6 leases each', 60_000, 500);
    const handedOver = setup.events.find((e) => e.kind === 'session' && e.worker !== 'C' && e.atMs > stoppedAtMs)!;
    expect(handedOver.atMs - stoppedAtMs).toBeLessThan(10_000 + 20_050); // sooner than expiry + a balance round
    await clock.advanceUntil(() => new Set(allDelivered([a, b, c])).size === 1_200, 'every record delivered', 60_000);
    expect(duplicatesOf(allDelivered([a, b, c]))).toEqual([]);

    // 3. D joins: it steals one lease at a time from the most loaded worker, up to its fair share of 4.
    const lostBefore = a.leasesLost + b.leasesLost;
    const d = startWorker('D', setup);
    await setup.put(1_200, 1_500);
    await clock.advanceUntil(holding([a, b, d], 4), 'A, B and D hold 4 leases each', 300_000, 5_000);
    expect(d.leasesTaken - d.leasesLost).toBe(4);
    expect(a.leasesLost + b.leasesLost - lostBefore).toBe(d.leasesTaken - d.leasesLost);
    await clock.advanceUntil(() => new Set(allDelivered([a, b, c, d])).size === 1_500, 'every record delivered', 60_000);

    // 4. D is killed mid-stream (no drain, no release): A and B take its leases once they expired (10 s),
    //    re-reading from D's last checkpoints: nothing lost, duplicates only among what D had read.
    await setup.put(1_500, 1_800);
    await clock.advanceBy(1_500);
    const killedAtMs = clock.nowMs;
    d.kill();
    await setup.put(1_800, 2_100);
    await clock.advanceUntil(holding([a, b], 6), 'A and B hold 6 leases each', 120_000);
    const takenOver = setup.events.find((e) => e.kind === 'session' && e.worker !== 'D' && e.atMs > killedAtMs)!;
    expect(takenOver.atMs - killedAtMs).toBeGreaterThanOrEqual(10_000);
    await clock.advanceUntil(() => new Set(allDelivered([a, b, c, d])).size === 2_100, 'every record delivered', 60_000);
    a.stop();
    b.stop();
    await clock.advanceUntil(() => a.stopped && b.stopped, 'A and B stopped', 60_000);

    const delivered = allDelivered([a, b, c, d]);
    expect(new Set(delivered)).toEqual(new Set(range(0, 2_100))); // 0 lost
    const duplicates = duplicatesOf(delivered);
    for (const dup of duplicates) expect(d.emitted).toContain(dup);
    const deliveredByD = new Set(d.delivered());
    expect(duplicates.every((dup) => deliveredByD.has(dup))).toBe(true); // delivered by D, not yet checkpointed: read again
    readersPerShard(setup.events);
    expect([a, b].map((w) => w.error)).toEqual([undefined, undefined]);
    expect([...(await leaseOwners(setup)).values()].filter((o) => o !== undefined)).toEqual([]); // all released
  }, 120_000);

  it('should read parents before children across workers when shards are split and merged while three workers read', async () => {
    const setup = await setUp(300);
    const { clock } = setup;
    const workers = ['A', 'B', 'C'].map((name) => startWorker(name, setup));
    // Resharded as soon as every shard is being read, while the workers still balance.
    await clock.advanceUntil(() => workers.reduce((n, w) => n + w.leasesHeld, 0) === 12, 'every lease held', 60_000);
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: setup.streamName }));
    const zero = Shards!.find((s) => s.ShardId === 'shardId-000000000000')!;
    const middle = (BigInt(zero.HashKeyRange!.StartingHashKey!) + BigInt(zero.HashKeyRange!.EndingHashKey!)) / 2n;
    await kinesis.send(
      new SplitShardCommand({ StreamName: setup.streamName, ShardToSplit: zero.ShardId!, NewStartingHashKey: middle.toString() }),
    );
    await waitForActive(kinesis, setup.streamName);
    await kinesis.send(
      new MergeShardsCommand({
        StreamName: setup.streamName,
        ShardToMerge: 'shardId-000000000001',
        AdjacentShardToMerge: 'shardId-000000000002',
      }),
    );
    await waitForActive(kinesis, setup.streamName);
    await setup.put(300, 900); // into the children (and the shards left alone)
    await clock.advanceUntil(() => new Set(allDelivered(workers)).size === 900, 'every record delivered', 300_000, 5_000);
    for (const w of workers) w.stop();
    await clock.advanceUntil(() => workers.every((w) => w.stopped), 'stopped', 60_000);

    expect(new Set(allDelivered(workers))).toEqual(new Set(range(0, 900)));
    const parentsOf: Record<string, string[]> = {
      'shardId-000000000012': ['shardId-000000000000'],
      'shardId-000000000013': ['shardId-000000000000'],
      'shardId-000000000014': ['shardId-000000000001', 'shardId-000000000002'],
    };
    const events = setup.events;
    for (const [child, parents] of Object.entries(parentsOf)) {
      const firstOfChild = events.findIndex((e) => e.kind === 'record' && e.shardId === child);
      expect(firstOfChild, `${child} was read`).toBeGreaterThanOrEqual(0);
      for (const parent of parents) {
        const lastOfParent = events.reduce((last, e, i) => (e.kind === 'record' && e.shardId === parent ? i : last), -1);
        const parentEnd = events.findIndex(
          (e) => e.kind === 'checkpoint' && e.shardId === parent && e.checkpoint.sequenceNumber === 'SHARD_END',
        );
        expect(parentEnd, `${parent} reached SHARD_END after its last record`).toBeGreaterThan(lastOfParent);
        expect(firstOfChild, `${child} is read after ${parent}'s SHARD_END`).toBeGreaterThan(parentEnd);
      }
    }
    readersPerShard(events);
  }, 120_000);
});
