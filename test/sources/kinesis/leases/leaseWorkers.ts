/**
 * In-process workers of one stream for the lease tests: each is a whole pipeline (fromKinesisStream with
 * dynamoDbLeases → bufferBySizeOrTime → deliverTo(memory)) on the shared virtual clock, with its own clients,
 * so several of them share the stream's shards exactly as processes would, through kinesalite and dynalite.
 * Everything they do is logged in one timeline: reads (GetRecords answers, per shard), reading sessions
 * (GetShardIterator), records emitted, checkpoints saved, leases held.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { tap, type Subscription } from 'rxjs';
import { bufferBySizeOrTime, deliverTo } from '../../../../operators/index.js';
import type { FirehoseRecord } from '../../../../src/index.js';
import { dynamoDbLeases, fromKinesisStream, type Checkpoint, type DynamoDbLeasesOptions } from '../../../../src/sources/kinesis/index.js';
import { memoryDestination } from '../../../../src/testing/index.js';
import type { IoClock } from './ioClock.js';

export type Event =
  | { readonly kind: 'read'; readonly worker: string; readonly shardId: string; readonly atMs: number }
  | { readonly kind: 'session'; readonly worker: string; readonly shardId: string; readonly atMs: number }
  | {
      readonly kind: 'record';
      readonly worker: string;
      readonly shardId: string;
      readonly sequenceNumber: string;
      readonly data: string;
      readonly atMs: number;
    }
  | {
      readonly kind: 'checkpoint';
      readonly worker: string;
      readonly shardId: string;
      readonly checkpoint: Checkpoint;
      readonly atMs: number;
    };

export interface Worker {
  readonly name: string;
  readonly delivered: () => string[];
  /** Records emitted by this worker, by data. */
  readonly emitted: string[];
  /** The last `LeasesHeld` it reported. */
  leasesHeld: number;
  leasesTaken: number;
  leasesLost: number;
  stopped: boolean;
  error: unknown;
  /** Graceful stop: reading stops, the pipeline drains, final checkpoints, leases released. */
  readonly stop: () => void;
  /** As SIGKILL would: everything stops at once; nothing in flight is delivered, nothing released. */
  readonly kill: () => void;
}

export interface WorkerSetup {
  readonly clock: IoClock;
  readonly kinesis: KinesisClient;
  readonly dynamo: DynamoDBClient;
  readonly streamName: string;
  readonly tableName: string;
  readonly events: Event[];
  readonly leaseOptions?: Partial<DynamoDbLeasesOptions> | undefined;
}

const decoder = new TextDecoder();

export function startWorker(name: string, setup: WorkerSetup): Worker {
  const { clock, events } = setup;
  const scheduler = clock.scheduler;
  const kinesis = clock.track(setup.kinesis);
  const logged = new Proxy(kinesis, {
    get: (target, key, receiver) => {
      if (key !== 'send') return Reflect.get(target, key, receiver);
      return (command: unknown, options: unknown) => {
        if (command instanceof GetShardIteratorCommand)
          events.push({ kind: 'session', worker: name, shardId: command.input.ShardId!, atMs: clock.nowMs });
        return (target.send as (c: unknown, o: unknown) => Promise<unknown>)(command, options);
      };
    },
  });
  const destination = memoryDestination<FirehoseRecord>({ scheduler });
  const signal = new AbortController();
  let subscription: Subscription | undefined;
  const worker: Worker = {
    name,
    delivered: () => destination.delivered.map((r) => decoder.decode(r.data)),
    emitted: [],
    leasesHeld: 0,
    leasesTaken: 0,
    leasesLost: 0,
    stopped: false,
    error: undefined,
    stop: () => signal.abort(),
    kill: () => subscription?.unsubscribe(),
  };
  subscription = fromKinesisStream({
    client: logged,
    streamName: setup.streamName,
    startingPosition: 'TRIM_HORIZON',
    leases: dynamoDbLeases({ client: clock.track(setup.dynamo), tableName: setup.tableName, workerId: name, ...setup.leaseOptions }),
    scheduler,
    signal: signal.signal,
    random: Math.random,
    shardSyncIntervalMs: 10_000,
    pollIntervalMs: 5_000, // fewer requests to serve: each costs real time, not virtual time
    onCheckpoint: (shardId, checkpoint) => events.push({ kind: 'checkpoint', worker: name, shardId, checkpoint, atMs: clock.nowMs }),
    onStopped: (error) => {
      worker.stopped = true;
      worker.error ??= error;
    },
    metrics: (metric, value) => {
      if (metric.startsWith('KinesisMillisBehindLatest.'))
        events.push({ kind: 'read', worker: name, shardId: metric.slice('KinesisMillisBehindLatest.'.length), atMs: clock.nowMs });
      else if (metric === 'LeasesHeld') worker.leasesHeld = value;
      else if (metric === 'LeasesTaken') worker.leasesTaken += value;
      else if (metric === 'LeasesLost') worker.leasesLost += value;
    },
  })
    .pipe(
      tap((r) => {
        const data = decoder.decode(r.data);
        worker.emitted.push(data);
        events.push({
          kind: 'record',
          worker: name,
          shardId: r.kinesisRecordMetadata!.shardId,
          sequenceNumber: r.kinesisRecordMetadata!.sequenceNumber,
          data,
          atMs: clock.nowMs,
        });
      }),
      bufferBySizeOrTime({ maxMs: 2_000, maxRecords: 200, scheduler }),
      deliverTo(destination, { scheduler }),
    )
    .subscribe({ error: (error: unknown) => (worker.error = error) });
  return worker;
}

/**
 * Checks that no shard was read by two workers at once: per shard, the answers read, in time order, come in
 * runs of one worker, and each run starts with a new reading session of its worker (GetShardIterator, after
 * it took the lease). Two workers reading at once would interleave their answers without new sessions.
 * Returns the number of runs (hand-overs + 1) per shard.
 */
export function readersPerShard(events: readonly Event[]): Map<string, string[]> {
  const runs = new Map<string, string[]>();
  const sessionsSeen = new Map<string, number>(); // `${worker} ${shard}` → sessions started so far
  const sessionsUsed = new Map<string, number>();
  for (const event of events) {
    const key = `${event.worker} ${event.shardId}`;
    if (event.kind === 'session') sessionsSeen.set(key, (sessionsSeen.get(key) ?? 0) + 1);
    if (event.kind !== 'read') continue;
    const shardRuns = runs.get(event.shardId) ?? [];
    runs.set(event.shardId, shardRuns);
    if (shardRuns.at(-1) === event.worker) continue;
    const used = (sessionsUsed.get(key) ?? 0) + 1;
    if (used > (sessionsSeen.get(key) ?? 0))
      throw new Error(
        `${event.worker} read ${event.shardId} at ${event.atMs} ms while ${shardRuns.at(-1)} was reading it (no new session of its own)`,
      );
    sessionsUsed.set(key, sessionsSeen.get(key)!);
    shardRuns.push(event.worker);
  }
  return runs;
}
