import { join } from 'node:path';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import type { MetricSink } from '../../metrics/MetricSink.js';
import { checkNumber } from '../../options/checkNumber.js';
import { checkBackoff } from '../../retry/checkBackoff.js';
import type { Backoff } from '../../retry/backoffDelayMs.js';
import type { KinesisSourceError } from './KinesisSourceError.js';
import type { InFlightBudget } from '../InFlightBudget.js';
import type { Checkpoint, CheckpointStore } from './checkpointStores/CheckpointStore.js';
import { fileCheckpointStore } from './checkpointStores/fileCheckpointStore.js';
import type { KinesisReadClient } from './KinesisReadClient.js';
import type { KinesisLeases } from './leases/dynamoDbLeases.js';
import { MIN_CALL_SPACING_MS } from './shardReader.js';
import type { StartingPosition } from './shardTracker.js';
import { checkStallOptions } from '../../settlement/checkStallOptions.js';
import type { SettlementStallError } from '../../settlement/SettlementStallError.js';
import type { StallOptions, StallWatchdog } from '../../settlement/StallWatchdog.js';

export const NAME = 'fromKinesisStream';

/** Backoff of reads that were throttled or failed: 1 s, ×2, capped at 10 s, ±15% jitter; retried forever. */
export const KINESIS_READ_BACKOFF: Backoff = { initialMs: 1_000, multiplier: 2, maxMs: 10_000, jitter: 0.15 };
/** Shard iterators expire after 5 minutes: a poll interval must stay well below. */
const MAX_POLL_INTERVAL_MS = 240_000;

export interface FromKinesisStreamOptions extends StallOptions {
  /** The caller's Kinesis client (`KinesisClient` from `@aws-sdk/client-kinesis`). */
  readonly client: KinesisReadClient;
  /** The stream's name. Give either this or `streamArn`. */
  readonly streamName?: string | undefined;
  /** The stream's ARN (`arn:aws:kinesis:<region>:<account>:stream/<name>`), sent as `StreamARN`. Give either this or `streamName`. */
  readonly streamArn?: string | undefined;
  /**
   * Where a shard without a checkpoint starts: `'LATEST'` (records put from now on, as Firehose does), `'TRIM_HORIZON'`
   * (the oldest record kept), or `{ timestampMs }` (records that arrived at or after that time). Default `'LATEST'`.
   */
  readonly startingPosition?: StartingPosition | undefined;
  /** Time between GetRecords calls on a shard that is caught up. Default 1000 (Firehose's once per second); 200–240000. */
  readonly pollIntervalMs?: number | undefined;
  /** GetRecords' `Limit`. Default 10000, the most Kinesis allows. */
  readonly maxRecordsPerCall?: number | undefined;
  /** Where checkpoints are kept. Default a {@link fileCheckpointStore} at `.rx-firehose/kinesis/<stream name>.checkpoints.json`. */
  readonly checkpointStore?: CheckpointStore | undefined;
  /**
   * Share the stream's shards with other processes through leases ({@link dynamoDbLeases}): this subscription
   * reads only the shards whose lease it holds, and keeps checkpoints in the lease table (so give no
   * `checkpointStore`). Default none: every shard is read.
   */
  readonly leases?: KinesisLeases | undefined;
  /**
   * Stop calling GetRecords while this many bytes were emitted and their shard's checkpoint has not moved past
   * them yet (unsettled, or settled behind a record still in flight). Default 64 MiB.
   */
  readonly maxInFlightBytes?: number | undefined;
  /** How often the shard list is read again, besides whenever a shard ends. Default 60000 (the KCL's). */
  readonly shardSyncIntervalMs?: number | undefined;
  /** Backoff of throttled and failed calls and checkpoint saves. Default 1 s, ×2, capped at 10 s, ±15% jitter. */
  readonly backoff?: Partial<Backoff> | undefined;
  /** Random numbers in [0, 1) for jitter. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /** Stops reading when aborted: the source completes (the pipeline drains) and the final checkpoints are written. */
  readonly signal?: AbortSignal | undefined;
  /** Where waits run and the clock is read. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /**
   * Receives `DataReadFromKinesisStream.Bytes|Records`, `KinesisMillisBehindLatest` (and `KinesisMillisBehindLatest.<shardId>`),
   * `ThrottledGetRecords`, `ThrottledGetShardIterator`; with leases also `LeasesHeld`, `LeasesTaken`, `LeasesLost`.
   */
  readonly metrics?: MetricSink | undefined;
  /** Told after each checkpoint was saved. */
  readonly onCheckpoint?: ((shardId: string, checkpoint: Checkpoint) => void) | undefined;
  /** Told how many bytes are in flight (emitted, not yet passed by the checkpoint) whenever records are emitted or settled. */
  readonly onInFlight?: ((budget: InFlightBudget) => void) | undefined;
  /**
   * Told once after `signal` aborted, when every record emitted was settled and every checkpoint saved (with the
   * error, if the last checkpoints could not be saved). Wait for it before exiting the process.
   */
  readonly onStopped?: ((error?: unknown) => void) | undefined;
  /**
   * Told each time a call failed in a way that is retried (a network error, a server error, credentials the
   * SDK could not load yet), with the error the source would end with and the attempt (1, 2, …), before the
   * backoff: the source retries these forever, so this is where a reader that reads nothing says why.
   * Throttles are not told here (see `ThrottledGetRecords` in `metrics`).
   */
  readonly onRetry?: ((error: KinesisSourceError, attempt: number) => void) | undefined;
}

/** The options, checked, with their defaults. */
export interface KinesisSourceConfig {
  readonly client: KinesisReadClient;
  /** Names the stream in the checkpoint store, messages and metrics. */
  readonly streamName: string;
  readonly streamRef: { readonly StreamName?: string; readonly StreamARN?: string };
  readonly startingPosition: StartingPosition;
  readonly pollIntervalMs: number;
  readonly maxRecordsPerCall: number;
  readonly checkpointStore: CheckpointStore;
  readonly leases: KinesisLeases | undefined;
  readonly maxInFlightBytes: number;
  readonly shardSyncIntervalMs: number;
  readonly backoff: Backoff;
  readonly random: () => number;
  readonly signal: AbortSignal | undefined;
  readonly scheduler: SchedulerLike;
  readonly metrics: MetricSink | undefined;
  readonly onCheckpoint: FromKinesisStreamOptions['onCheckpoint'];
  readonly onInFlight: FromKinesisStreamOptions['onInFlight'];
  readonly onStopped: FromKinesisStreamOptions['onStopped'];
  readonly onRetry: FromKinesisStreamOptions['onRetry'];
  /** Makes the watchdog of one subscription's budget (see `stallTimeoutMs`). */
  readonly watchdogFor: (onError: (error: SettlementStallError) => void) => StallWatchdog;
}

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const STREAM_ARN = /^arn:aws[a-zA-Z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/;

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option, the value and what is allowed. */
export function checkKinesisOptions(options: FromKinesisStreamOptions): KinesisSourceConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with client and streamName or streamArn');
  const { client, streamName, streamArn } = options;
  if (typeof client !== 'object' || client === null || typeof client.send !== 'function') {
    throw new InvalidOptionError(NAME, 'client', client, 'a KinesisClient (an object with send)');
  }
  let name: string;
  let streamRef: KinesisSourceConfig['streamRef'];
  if (streamArn !== undefined) {
    if (streamName !== undefined)
      throw new InvalidOptionError(NAME, 'streamArn', streamArn, 'absent when streamName is given (give one of them)');
    const match = typeof streamArn === 'string' ? STREAM_ARN.exec(streamArn) : null;
    if (match === null)
      throw new InvalidOptionError(NAME, 'streamArn', streamArn, 'a Kinesis stream ARN: arn:aws:kinesis:<region>:<account>:stream/<name>');
    name = match[1]!;
    streamRef = { StreamARN: streamArn };
  } else {
    if (typeof streamName !== 'string' || !STREAM_NAME.test(streamName)) {
      throw new InvalidOptionError(NAME, 'streamName', streamName, 'a stream name: 1–128 characters of [a-zA-Z0-9_.-] (or give streamArn)');
    }
    name = streamName;
    streamRef = { StreamName: streamName };
  }
  const startingPosition = checkStartingPosition(options.startingPosition);
  const pollIntervalMs = checkNumber(NAME, 'pollIntervalMs', options.pollIntervalMs, 1_000, {
    min: MIN_CALL_SPACING_MS,
    max: MAX_POLL_INTERVAL_MS,
    integer: true,
    unit: 'ms',
  });
  const maxRecordsPerCall = checkNumber(NAME, 'maxRecordsPerCall', options.maxRecordsPerCall, 10_000, {
    min: 1,
    max: 10_000,
    integer: true,
    unit: 'records',
  });
  const maxInFlightBytes = checkNumber(NAME, 'maxInFlightBytes', options.maxInFlightBytes, 64 * 1_048_576, {
    min: 1,
    integer: true,
    unit: 'bytes',
  });
  const shardSyncIntervalMs = checkNumber(NAME, 'shardSyncIntervalMs', options.shardSyncIntervalMs, 60_000, {
    min: 100,
    max: 2_147_483_647,
    integer: true,
    unit: 'ms',
  });
  const store = options.checkpointStore;
  if (
    store !== undefined &&
    (typeof store !== 'object' || store === null || typeof store.load !== 'function' || typeof store.save !== 'function')
  ) {
    throw new InvalidOptionError(NAME, 'checkpointStore', store, 'a CheckpointStore (an object with load and save)');
  }
  const leases = options.leases;
  if (leases !== undefined) {
    if (typeof leases !== 'object' || leases === null || typeof leases.config?.workerId !== 'string')
      throw new InvalidOptionError(NAME, 'leases', leases, 'the result of dynamoDbLeases({ … })');
    if (store !== undefined)
      throw new InvalidOptionError(
        NAME,
        'checkpointStore',
        store,
        'absent when leases are given (checkpoints are kept in the lease table)',
      );
  }
  const backoff = checkBackoff(NAME, options.backoff, KINESIS_READ_BACKOFF);
  const signal = options.signal;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
    throw new InvalidOptionError(NAME, 'signal', signal, 'an AbortSignal');
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  if (
    typeof scheduler !== 'object' ||
    scheduler === null ||
    typeof scheduler.now !== 'function' ||
    typeof scheduler.schedule !== 'function'
  ) {
    throw new InvalidOptionError(NAME, 'scheduler', scheduler, 'an RxJS SchedulerLike');
  }
  for (const hook of ['random', 'metrics', 'onCheckpoint', 'onInFlight', 'onStopped', 'onRetry'] as const) {
    const value = options[hook];
    if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(NAME, hook, value, 'a function');
  }
  return {
    client,
    streamName: name,
    streamRef,
    startingPosition,
    pollIntervalMs,
    maxRecordsPerCall,
    leases,
    checkpointStore: store ?? fileCheckpointStore({ path: join('.rx-firehose', 'kinesis', `${name}.checkpoints.json`) }),
    maxInFlightBytes,
    shardSyncIntervalMs,
    backoff,
    random: options.random ?? Math.random,
    signal,
    scheduler,
    metrics: options.metrics,
    onCheckpoint: options.onCheckpoint,
    onInFlight: options.onInFlight,
    onStopped: options.onStopped,
    onRetry: options.onRetry,
    watchdogFor: checkStallOptions(NAME, options, scheduler),
  };
}

function checkStartingPosition(value: unknown): StartingPosition {
  if (value === undefined) return 'LATEST';
  if (value === 'LATEST' || value === 'TRIM_HORIZON') return value;
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 1 && 'timestampMs' in value) {
    const timestampMs = (value as { timestampMs: unknown }).timestampMs;
    if (typeof timestampMs === 'number' && Number.isFinite(timestampMs) && timestampMs >= 0) return { timestampMs };
  }
  throw new InvalidOptionError(NAME, 'startingPosition', value, "'LATEST', 'TRIM_HORIZON' or { timestampMs } with an epoch time in ms ≥ 0");
}
