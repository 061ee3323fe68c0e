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

const READER_SHARDS = 12;
const READER_RECORDS = Number(process.env['BENCH_KINESIS_READER_RECORDS'] ?? 240_000);
/** GetRecords' most records per call, the reader's default. */
const LIMIT = 10_000;
/** Kinesis allows 5 GetRecords calls per second per shard: any consumer waits this long before calling again while behind. */
const CALL_SPACING_MS = 200;

/** CPU time (user + system) of this process since `since`, in µs. */
function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** Where one run stands: the CPU when it started, and when its first response round was read. */
interface RunCpu {
  start: NodeJS.CpuUsage;
  steady: NodeJS.CpuUsage | undefined;
}

/**
 * The CPU per record of fromKinesisStream against a bare GetRecords loop (GetShardIterator, then GetRecords
 * until the shard is drained, every shard at once) on the same 12-shard kinesalite stream, read from
 * TRIM_HORIZON by the same client. kinesalite runs in a process of its own, so only the reader's CPU is
 * counted: the SDK's requests and parsing in both, plus, in the source, records, settlements and checkpoint
 * tracking. The goal is ≤ 1.1×.
 *
 * Both read as Kinesis requires of any consumer: a shard's next call waits 200 ms while it is behind (5 calls
 * per second per shard), and nothing of a response is held during the wait (the reader drops it; a loop that
 * kept each response through the wait would make the baseline's scavenges copy 12 responses). The stream holds
 * two full responses per shard (20,000 records of 100 bytes), so a run is a reader running, not only its first
 * response: the figure is the whole run (from subscribing to the last record, with the subscription's start:
 * ListShards, and V8 compiling the source's code for the new subscription's objects, ≈ 50 ms of CPU on its
 * helper threads), and after the first response of every shard (steady, printed beside it).
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
    // Every shard's first response is full when each shard holds more than LIMIT records.
    const firstRound = Math.min(READER_RECORDS, READER_SHARDS * LIMIT);
    /** One GetRecords call; only counts leave it, so nothing of the response stays referenced across the wait. */
    const readPage = async (iterator: string | undefined): Promise<{ records: number; next: string | undefined; behind: boolean }> => {
      const output = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: LIMIT }));
      const records = output.Records?.length ?? 0;
      return { records, next: output.NextShardIterator, behind: records >= LIMIT || (output.MillisBehindLatest ?? 0) > 0 };
    };
    const bare = async (cpu: RunCpu): Promise<void> => {
      let read = 0;
      await Promise.all(
        Array.from({ length: READER_SHARDS }, async (_, s) => {
          const shardId = `shardId-${String(s).padStart(12, '0')}`;
          let iterator = (
            await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))
          ).ShardIterator;
          for (;;) {
            const page = await readPage(iterator);
            if (read < firstRound && read + page.records >= firstRound) cpu.steady = process.cpuUsage();
            read += page.records;
            if (page.records === 0) break;
            iterator = page.next;
            if (page.behind) await new Promise((resolve) => setTimeout(resolve, CALL_SPACING_MS));
          }
        }),
      );
      if (read !== READER_RECORDS) throw new Error(`bare loop read ${read} of ${READER_RECORDS}`);
    };
    const source = async (cpu: RunCpu): Promise<void> => {
      const stop = new AbortController();
      let seen = 0;
      await lastValueFrom(
        fromKinesisStream({
          client,
          streamName,
          startingPosition: 'TRIM_HORIZON',
          pollIntervalMs: CALL_SPACING_MS,
          checkpointStore: memoryCheckpointStore(),
          signal: stop.signal,
        }).pipe(
          tap((r) => {
            settleRecord(r, 'delivered');
            if (++seen === firstRound) cpu.steady = process.cpuUsage();
            if (seen === READER_RECORDS) stop.abort();
          }),
          reduce((n) => n + 1, 0),
        ),
      );
    };
    /** µs of CPU per record: of the whole run, and after the first round (NaN when there is no second). */
    const measure = async (run: (cpu: RunCpu) => Promise<void>): Promise<{ whole: number; steady: number }> => {
      (globalThis as { gc?: () => void }).gc?.();
      const cpu: RunCpu = { start: process.cpuUsage(), steady: undefined };
      await run(cpu);
      const steadyRecords = READER_RECORDS - firstRound;
      return {
        whole: cpuMicros(cpu.start) / READER_RECORDS,
        steady: steadyRecords > 0 && cpu.steady !== undefined ? cpuMicros(cpu.steady) / steadyRecords : Number.NaN,
      };
    };
    await measure(bare); // warm up both
    await measure(source);
    const bareRuns: Array<{ whole: number; steady: number }> = [];
    const sourceRuns: Array<{ whole: number; steady: number }> = [];
    for (let round = 0; round < 5; round++) {
      bareRuns.push(await measure(bare));
      sourceRuns.push(await measure(source));
    }
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const figures = (runs: Array<{ whole: number; steady: number }>): string => {
      const steady = median(runs.map((r) => r.steady));
      return `${median(runs.map((r) => r.whole)).toFixed(2)} µs CPU/record (after the first response of every shard: ${Number.isNaN(steady) ? 'n/a' : steady.toFixed(2)})`;
    };
    console.log(`bare GetRecords loop, ${READER_SHARDS} kinesalite shards, ${READER_RECORDS} records (baseline): ${figures(bareRuns)}`);
    console.log(`fromKinesisStream on the same stream:                  ${figures(sourceRuns)}`);
    const ratio = median(sourceRuns.map((r) => r.whole)) / median(bareRuns.map((r) => r.whole));
    const steadyRatio = median(sourceRuns.map((r) => r.steady)) / median(bareRuns.map((r) => r.steady));
    console.log(
      `  ${ratio <= 1.1 ? 'PASS' : 'FAIL'} fromKinesisStream ÷ bare GetRecords loop, CPU per record: ${ratio.toFixed(2)}× (goal ≤ 1.10×; after the first response of every shard ${Number.isNaN(steadyRatio) ? 'n/a' : `${steadyRatio.toFixed(2)}×`})`,
    );
  } finally {
    client.destroy();
    servers.stop();
  }
}

// `kinesis.bench.ts reader`: the reader's goal line alone (npm run bench runs it so, in a process of its own).
if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] !== 'reader') await benchKinesis();
  await benchKinesisReaderCpu();
}
