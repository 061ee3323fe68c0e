/**
 * The multi-process end-to-end lease test: three worker processes (leaseWorkerProcess.ts) share a 12-shard
 * kinesalite stream through a dynalite lease table, one is killed with SIGKILL mid-stream, the others take its
 * shards over once its leases expire, and are then stopped with SIGTERM. Real processes, real time: what
 * virtual time cannot show (a process that dies between two writes, clocks of several processes).
 * kinesalite and dynalite run here, in the parent, so their data outlives the children.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveredLines } from '../../../support/deliveredLines.js';
import { dynamoDbClientFor, startDynalite, type Dynalite } from '../../../support/dynalite.js';
import { createStream, kinesisClientFor, putRecords, startKinesalite, type Kinesalite } from '../../../support/kinesalite.js';
import { startLineProcess, type LineProcess } from '../../../support/startLineProcess.js';
import { waitFor } from '../waitFor.js';
import { readersPerShard, type Event } from './leaseWorkers.js';

const here = dirname(fileURLToPath(import.meta.url));
const SHARDS = 12;

let kinesalite: Kinesalite;
let dynalite: Dynalite;
let kinesis: KinesisClient;
let dynamo: DynamoDBClient;
let work: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [kinesalite, dynalite] = await Promise.all([startKinesalite(), startDynalite()]);
  kinesis = kinesisClientFor(kinesalite.endpoint);
  dynamo = dynamoDbClientFor(dynalite.endpoint);
  work = await mkdtemp(join(tmpdir(), 'rx-firehose-leases-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  kinesis?.destroy();
  dynamo?.destroy();
  await Promise.all([kinesalite?.stop(), dynalite?.stop()]);
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

interface WorkerProcess extends LineProcess {
  readonly name: string;
  readonly outDir: string;
  readonly emitted: string[];
  leasesHeld: number;
  stopped: boolean;
}

function startWorkerProcess(name: string, env: Record<string, string>, events: Event[]): WorkerProcess {
  const outDir = join(work, name);
  const worker: WorkerProcess = {
    ...startLineProcess(join(here, 'leaseWorkerProcess.ts'), { ...env, WORKER_ID: name, OUT_DIR: outDir }, onLine),
    name,
    outDir,
    emitted: [],
    leasesHeld: 0,
    stopped: false,
  };
  children.push(worker.child);
  function onLine(line: string): void {
    const [kind, a, b] = line.split(' ');
    if (kind === 'E') worker.emitted.push(a!);
    else if (kind === 'S' || kind === 'R')
      events.push({ kind: kind === 'S' ? 'session' : 'read', worker: name, shardId: a!, atMs: Number(b) });
    else if (kind === 'L') worker.leasesHeld = Number(a);
    else if (kind === 'STOPPED') worker.stopped = true;
  }
  return worker;
}

describe('dynamoDbLeases across processes (SIGKILL, kinesalite, dynalite)', () => {
  it('should share the shards among three processes, take over a killed one’s after expiry, lose nothing and duplicate only records whose shard changed hands', async () => {
    const streamName = 'leases-processes';
    const tableName = 'leases-processes';
    await createStream(kinesis, streamName, SHARDS);
    const put: Array<{ shardId: string; sequenceNumber: string }> = [];
    const putRange = async (from: number, to: number): Promise<void> => {
      put.push(
        ...(await putRecords(
          kinesis,
          streamName,
          Array.from({ length: to - from }, (_, i) => ({ Data: Buffer.from(`{"i":${from + i}}\n`), PartitionKey: `key-${from + i}` })),
        )),
      );
    };
    await putRange(0, 1_500);
    const env = {
      KINESIS_ENDPOINT: kinesalite.endpoint,
      DYNAMODB_ENDPOINT: dynalite.endpoint,
      STREAM_NAME: streamName,
      TABLE_NAME: tableName,
    };
    const events: Event[] = [];
    const workers = ['A', 'B', 'C'].map((name) => startWorkerProcess(name, env, events));
    const [a, b, c] = workers as [WorkerProcess, WorkerProcess, WorkerProcess];
    const allDelivered = async (): Promise<string[]> => (await Promise.all(workers.map((w) => deliveredLines(w.outDir)))).flat();
    const failed = (): string => workers.map((w) => `${w.name}: ${w.stderr.join('')}`).join('\n');

    await waitFor(() => workers.every((w) => w.leasesHeld === 4), `each process holds 4 leases\n${failed()}`, 45_000);
    await putRange(1_500, 3_000);
    await waitFor(() => c.emitted.length > 100, 'C reads');

    // SIGKILL C mid-stream, with records in its buffer.
    c.child.kill('SIGKILL');
    expect(await c.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAtMs = Date.now();
    await putRange(3_000, 4_500);
    await waitFor(() => a.leasesHeld === 6 && b.leasesHeld === 6, 'A and B take over C’s leases', 30_000);
    // C's shards were taken over by the survivors. Not before its leases expired is proven in virtual time
    // (leases.spec.ts): here expiry runs from C's last renewal, which the parent cannot see, so the time from
    // the kill proves nothing; that no shard was read by two processes at once is checked below.
    expect(events.some((e) => e.kind === 'session' && e.worker !== 'C' && e.atMs > killedAtMs)).toBe(true);

    let lines: string[] = [];
    for (const deadline = Date.now() + 60_000; ; ) {
      lines = await allDelivered();
      if (new Set(lines).size >= 4_500) break;
      if (Date.now() > deadline) throw new Error(`not every record delivered: ${new Set(lines).size}\n${failed()}`);
      await new Promise((resolve) => setTimeout(resolve, 250)); // the parent serves kinesalite and dynalite: read files rarely
    }
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    expect([a.stopped, b.stopped]).toEqual([true, true]);
    lines = await allDelivered();

    const counts = new Map<string, number>();
    for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
    expect(counts.size).toBe(4_500); // 0 lost
    const shardOf = (line: string): string => put[Number(JSON.parse(line).i)]!.shardId;
    // A shard's session: a worker got an iterator for it (it took the shard's lease, or its iterator expired).
    const sessions = (shardId: string, worker?: string): number =>
      events.filter((e) => e.kind === 'session' && e.shardId === shardId && (worker === undefined || e.worker === worker)).length;
    // A duplicate is a record read again after its shard changed hands: by C before the kill and by a
    // survivor, or (on a loaded machine, when a renewal came late) by both survivors, or by one worker that
    // lost the shard's lease and took it back. So a record is delivered at most once per session of its shard,
    // and twice by one worker only if that worker took its shard more than once.
    // (C's stdout may lose its last lines at SIGKILL: its delivered files do not.)
    const perWorker = await Promise.all(
      workers.map(async (w) => {
        const delivered = new Map<string, number>();
        for (const line of await deliveredLines(w.outDir)) delivered.set(line, (delivered.get(line) ?? 0) + 1);
        return { name: w.name, delivered };
      }),
    );
    for (const [line, n] of counts) {
      if (n === 1) continue;
      const shardId = shardOf(line);
      expect(n, `${line} (${shardId}) delivered ${n} times in ${sessions(shardId)} sessions of its shard`).toBeLessThanOrEqual(
        sessions(shardId),
      );
      for (const { name, delivered } of perWorker) {
        const times = delivered.get(line) ?? 0;
        if (times > 1)
          expect(times, `${line} (${shardId}) delivered ${times} times by ${name}`).toBeLessThanOrEqual(sessions(shardId, name));
      }
    }
    readersPerShard(events.sort((x, y) => x.atMs - y.atMs)); // throws if two processes read one shard at once
  }, 120_000);
});
