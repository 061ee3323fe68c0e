import { createHash } from 'node:crypto';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type _Record } from '@aws-sdk/client-kinesis';
import { lastValueFrom, reduce, tap } from 'rxjs';
import { settleRecord } from '../src/settlement/settleRecord.js';
import { fromLines } from '../src/sources/lines/fromLines.js';
import { deaggregate, fromKinesisStream, memoryCheckpointStore, type KinesisReadClient } from '../src/sources/kinesis/index.js';
import { aggregate } from '../test/sources/kinesis/kplEncoder.js';
import { createStream, kinesisClientFor, putRecords } from '../test/support/kinesalite.js';
import { medianMs, perSecond } from './measure.js';
import { startServers } from './startServers.js';

const SHARDS = 50;
const RECORDS_PER_SHARD = 10_000; // one full GetRecords response per shard: no polling wait is measured
const AGGREGATES = 2_000;
const SUB_RECORDS = 100;

function line(i: number): string {
  return (
    JSON.stringify({ id: i, user: `user-${(i * 7919) % 10_007}`, event: i % 11 === 0 ? 'purchase' : 'click', page: `/p/${i % 997}` }) + '\n'
  );
}

/**
 * An in-process stand-in for Kinesis (ListShards, GetShardIterator, GetRecords over arrays), so the bench
 * measures the source's own cost per record: de-aggregation, records, settlements, checkpoint tracking.
 */
function inMemoryKinesis(shards: _Record[][]): KinesisReadClient {
  const send = async (command: ListShardsCommand | GetShardIteratorCommand | GetRecordsCommand): Promise<unknown> => {
    if (command instanceof ListShardsCommand) return { Shards: shards.map((_, i) => ({ ShardId: `shardId-${i}` })), $metadata: {} };
    if (command instanceof GetShardIteratorCommand) return { ShardIterator: `${command.input.ShardId!.slice(8)}@0`, $metadata: {} };
    const [shard, at] = command.input.ShardIterator!.split('@').map(Number) as [number, number];
    const records = shards[shard]!.slice(at, at + command.input.Limit!);
    return {
      Records: records,
      NextShardIterator: `${shard}@${at + records.length}`,
      MillisBehindLatest: at + records.length < shards[shard]!.length ? 1 : 0,
      $metadata: {},
    };
  };
  return { send } as KinesisReadClient;
}

/** Reads `total` records from the source, settling each at once, and returns how many bytes came through. */
async function readAll(shards: _Record[][], total: number): Promise<number> {
  const stop = new AbortController();
  let seen = 0;
  return lastValueFrom(
    fromKinesisStream({
      client: inMemoryKinesis(shards),
      streamName: 'bench',
      startingPosition: 'TRIM_HORIZON',
      checkpointStore: memoryCheckpointStore(),
      signal: stop.signal,
    }).pipe(
      tap((r) => {
        settleRecord(r, 'delivered');
        if (++seen === total) stop.abort();
      }),
      reduce((bytes, r) => bytes + r.data.byteLength, 0),
    ),
  );
}

async function medianAsync(work: () => Promise<unknown>, rounds: number): Promise<number> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const start = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/**
 * fromKinesisStream's cost per record against fromLines (the same records, each a slot record of its source)
 * and KPL de-aggregation against the MD5 it cannot avoid. Each shard's records come in one response, so no
 * polling wait is measured: the time is the source's CPU cost.
 */
export async function benchKinesis(): Promise<void> {
  const encoder = new TextEncoder();
  const total = SHARDS * RECORDS_PER_SHARD;
  const lines = Array.from({ length: total }, (_, i) => encoder.encode(line(i)));
  const shards = Array.from({ length: SHARDS }, (_, s) =>
    lines.slice(s * RECORDS_PER_SHARD, (s + 1) * RECORDS_PER_SHARD).map(
      (data, i): _Record => ({
        SequenceNumber: String(1e15 + i),
        Data: data,
        PartitionKey: `k${i}`,
        ApproximateArrivalTimestamp: new Date(0),
      }),
    ),
  );
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const data of lines) yield data;
  }

  const kinesisMs = await medianAsync(() => readAll(shards, total), 3);
  const linesMs = await medianAsync(
    () =>
      lastValueFrom(
        fromLines(chunks()).pipe(
          tap((r) => settleRecord(r, 'delivered')),
          reduce((n) => n + 1, 0),
        ),
      ),
    3,
  );
  console.log(`fromKinesisStream (${SHARDS} shards, emit + settle + checkpoint): ${perSecond(total, kinesisMs, 'records')}`);
  console.log(
    `fromLines, same records (baseline):                       ${perSecond(total, linesMs, 'records')}  → ratio ${(kinesisMs / linesMs).toFixed(2)}×`,
  );

  const aggregates = Array.from({ length: AGGREGATES }, (_, a) =>
    aggregate(Array.from({ length: SUB_RECORDS }, (_, i) => ({ partitionKey: `k${i % 10}`, data: lines[(a * SUB_RECORDS + i) % total]! }))),
  );
  const deaggregateMs = medianMs(() => {
    for (const data of aggregates) deaggregate({ data, partitionKey: 'k0' });
  }, 5);
  const md5Ms = medianMs(() => {
    for (const data of aggregates)
      createHash('md5')
        .update(data.subarray(4, data.byteLength - 16))
        .digest();
  }, 5);
  const bytes = aggregates.reduce((n, a) => n + a.byteLength, 0);
  console.log(
    `deaggregate (${SUB_RECORDS} sub-records per aggregate): ${perSecond(AGGREGATES * SUB_RECORDS, deaggregateMs, 'sub-records')}, ${perSecond(bytes / 1_048_576, deaggregateMs, 'MiB')}`,
  );
  console.log(
    `MD5 of the same bytes alone (baseline):       ${perSecond(bytes / 1_048_576, md5Ms, 'MiB')}  → ratio ${(deaggregateMs / md5Ms).toFixed(2)}×`,
  );
}

/** CPU time (user + system) of this process spent in `work`, in µs. */
async function cpuMicros(work: () => Promise<unknown>): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

const READER_SHARDS = 12;
const READER_RECORDS = Number(process.env['BENCH_KINESIS_READER_RECORDS'] ?? 24_000);

/**
 * The CPU per record of fromKinesisStream against a bare GetRecords loop (GetShardIterator, then GetRecords
 * until the shard is drained, every shard at once) on the same 12-shard kinesalite stream, read from
 * TRIM_HORIZON by the same client. kinesalite runs in a process of its own, so only the reader's CPU is
 * counted: the SDK's requests and parsing in both, plus, in the source, records, settlements and checkpoint
 * tracking. The goal is ≤ 1.1×.
 */
export async function benchKinesisReaderCpu(): Promise<void> {
  const servers = await startServers();
  const client = kinesisClientFor(servers.kinesis);
  try {
    const streamName = 'bench-reader';
    await createStream(client, streamName, READER_SHARDS);
    const data = Buffer.alloc(100, 'x');
    for (let i = 0; i < READER_RECORDS; i += 5_000) {
      const n = Math.min(5_000, READER_RECORDS - i);
      await putRecords(
        client,
        streamName,
        Array.from({ length: n }, (_, j) => ({ Data: data, PartitionKey: `k${i + j}` })),
      );
    }
    const bare = async (): Promise<void> => {
      let read = 0;
      await Promise.all(
        Array.from({ length: READER_SHARDS }, async (_, s) => {
          const shardId = `shardId-${String(s).padStart(12, '0')}`;
          let iterator = (
            await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))
          ).ShardIterator;
          for (;;) {
            const output = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
            read += output.Records?.length ?? 0;
            if ((output.Records?.length ?? 0) === 0) break;
            iterator = output.NextShardIterator;
          }
        }),
      );
      if (read !== READER_RECORDS) throw new Error(`bare loop read ${read} of ${READER_RECORDS}`);
    };
    const source = async (): Promise<void> => {
      const stop = new AbortController();
      let seen = 0;
      await lastValueFrom(
        fromKinesisStream({
          client,
          streamName,
          startingPosition: 'TRIM_HORIZON',
          pollIntervalMs: 200,
          checkpointStore: memoryCheckpointStore(),
          signal: stop.signal,
        }).pipe(
          tap((r) => {
            settleRecord(r, 'delivered');
            if (++seen === READER_RECORDS) stop.abort();
          }),
          reduce((n) => n + 1, 0),
        ),
      );
    };
    await bare(); // warm up both
    await source();
    const bareUs: number[] = [];
    const sourceUs: number[] = [];
    for (let round = 0; round < 5; round++) {
      bareUs.push(await cpuMicros(bare));
      sourceUs.push(await cpuMicros(source));
    }
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const perRecord = (us: number): string => `${(us / READER_RECORDS).toFixed(1)} µs CPU/record`;
    console.log(`bare GetRecords loop, ${READER_SHARDS} kinesalite shards (baseline): ${perRecord(median(bareUs))}`);
    const ratio = median(sourceUs) / median(bareUs);
    console.log(`fromKinesisStream on the same stream:                  ${perRecord(median(sourceUs))}`);
    console.log(
      `  ${ratio <= 1.1 ? 'PASS' : 'FAIL'} fromKinesisStream ÷ bare GetRecords loop, CPU per record: ${ratio.toFixed(2)}× (goal ≤ 1.10×)`,
    );
  } finally {
    client.destroy();
    servers.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchKinesis();
  await benchKinesisReaderCpu();
}
