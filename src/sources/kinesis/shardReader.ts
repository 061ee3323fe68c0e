import type { _Record, GetRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { MetricSink } from '../../metrics/MetricSink.js';
import { backoffDelayMs } from '../../retry/backoffDelayMs.js';
import type { InFlightBudget } from '../InFlightBudget.js';
import { callWithRetries, STOPPED, type RetryContext } from './callWithRetries.js';
import { compareSequenceNumbers } from './compareSequenceNumbers.js';
import { errorKindOf } from './errorKindOf.js';
import type { KinesisReadClient } from './KinesisReadClient.js';
import { kinesisSdk } from './kinesisSdk.js';
import { KinesisSourceError } from './KinesisSourceError.js';
import type { ShardPosition } from './shardTracker.js';
import { sleep } from './sleep.js';

/** The least time between two GetRecords calls on one shard: Kinesis allows 5 per second per shard. */
export const MIN_CALL_SPACING_MS = 200;
/**
 * A LATEST iterator that expired before any record came is replaced by one at the time of its last
 * position minus this margin, so that a clock skew between this host and Kinesis cannot skip records (it
 * may re-read up to this much older ones).
 */
export const CLOCK_SKEW_MARGIN_MS = 60_000;

export interface ShardReaderContext extends RetryContext {
  readonly client: KinesisReadClient;
  /** `{ StreamName }` or `{ StreamARN }`, added to each request. */
  readonly streamRef: { readonly StreamName?: string; readonly StreamARN?: string };
  readonly pollIntervalMs: number;
  readonly maxRecordsPerCall: number;
  /** Shared by every shard of the source: no GetRecords call while it is full. */
  readonly budget: InFlightBudget;
  /** Undefined when nobody listens: then nothing is counted per response (no pass over its records). */
  readonly metrics: MetricSink | undefined;
  /** Takes one response's records, in order, synchronously, and empties the array (see `emitRecords`). */
  readonly emit: (shardId: string, records: (_Record | undefined)[]) => void;
}

/**
 * Reads one shard from `start` until its end or until the source stops: GetShardIterator, then a GetRecords
 * loop, every `pollIntervalMs`, or every 200 ms (5 calls/s, the shard's limit) while the shard is behind
 * (the last response was full, or `MillisBehindLatest` > 0).
 *
 * Before each call it waits while the source's in-flight budget is full, so at most one response beyond the
 * budget is read per shard. Throttles (`ProvisionedThroughputExceededException`, counted in
 * `ThrottledGetRecords`) and transient errors are retried with capped backoff, forever; an expired iterator
 * is replaced by one `AFTER_SEQUENCE_NUMBER` of the last record read; a permanent error (deleted stream,
 * missing permission) throws {@link KinesisSourceError}.
 *
 * @returns `'end'` once the shard (closed by a split or merge) was read to its end, `'stopped'` when the
 * source stopped first.
 */
export async function readShard(shardId: string, start: ShardPosition, context: ShardReaderContext): Promise<'end' | 'stopped'> {
  const { client, signal, scheduler, metrics, budget } = context;
  let lastSequenceNumber: string | undefined;
  // When the iterator's position was last known to be current: where a LATEST iterator resumes after expiry.
  let positionAtMs = scheduler.now();
  const resumePosition = (): ShardPosition => {
    if (lastSequenceNumber !== undefined) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lastSequenceNumber };
    if (start.type === 'LATEST') return { type: 'AT_TIMESTAMP', timestampMs: Math.max(0, positionAtMs - CLOCK_SKEW_MARGIN_MS) };
    return start;
  };

  /** Emits the new records of one GetRecords response; returns what the loop needs of it. */
  const take = (output: GetRecordsCommandOutput): { next: string | undefined; records: number; millisBehindLatest: number } => {
    const all = output.Records ?? [];
    // Never emit a record twice within one run, whatever iterator overlap a re-acquisition brings.
    // (Records come in sequence order: when the first is new, all are, and the common case costs one comparison.)
    const records =
      lastSequenceNumber === undefined || all.length === 0 || compareSequenceNumbers(all[0]!.SequenceNumber ?? '', lastSequenceNumber) > 0
        ? all
        : all.filter((r) => compareSequenceNumbers(r.SequenceNumber ?? '', lastSequenceNumber!) > 0);
    const millisBehindLatest = output.MillisBehindLatest ?? 0;
    if (metrics !== undefined) {
      metrics('KinesisMillisBehindLatest', millisBehindLatest, 'Milliseconds');
      metrics(`KinesisMillisBehindLatest.${shardId}`, millisBehindLatest, 'Milliseconds');
      if (records.length > 0) {
        metrics('DataReadFromKinesisStream.Records', records.length, 'Count');
        metrics('DataReadFromKinesisStream.Bytes', dataBytes(records), 'Bytes');
      }
    }
    if (records.length > 0) {
      lastSequenceNumber = records[records.length - 1]!.SequenceNumber;
      context.emit(shardId, records);
    }
    const next = output.NextShardIterator ?? undefined;
    return { next, records: records.length, millisBehindLatest };
  };

  let iterator = await shardIterator(shardId, start, context);
  if (iterator === STOPPED) return 'stopped';
  if (iterator === END) return 'end';
  for (let retry = 0; ; ) {
    while (budget.full && !signal.aborted) await budget.whenAvailable();
    if (signal.aborted) return 'stopped';
    let output: GetRecordsCommandOutput | undefined;
    try {
      const { GetRecordsCommand } = await kinesisSdk();
      output = await client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: context.maxRecordsPerCall, StreamARN: context.streamRef.StreamARN }),
        {
          abortSignal: signal,
        },
      );
    } catch (err) {
      if (signal.aborted) return 'stopped';
      const kind = errorKindOf(err);
      if (kind === 'permanent') throw new KinesisSourceError('GetRecords', context.streamName, shardId, err);
      if (kind === 'expired-iterator') {
        iterator = await shardIterator(shardId, resumePosition(), context);
        if (iterator === STOPPED) return 'stopped';
        if (iterator === END) return 'end';
        continue;
      }
      if (kind === 'throttled') metrics?.('ThrottledGetRecords', 1, 'Count');
      else context.onRetry?.(new KinesisSourceError('GetRecords', context.streamName, shardId, err), retry + 1);
      await sleep(backoffDelayMs(++retry, context.backoff, context.random), scheduler, signal);
      continue;
    }
    retry = 0;
    positionAtMs = scheduler.now();
    const read = take(output);
    // Nothing of the response stays referenced while this shard waits for its next call: its records are the
    // pipeline's now, and a response kept here would be copied by every scavenge of the wait.
    output = undefined;
    if (read.next === undefined) return 'end';
    iterator = read.next;
    const behind = read.records > 0 && (read.records >= context.maxRecordsPerCall || read.millisBehindLatest > 0);
    await sleep(behind ? MIN_CALL_SPACING_MS : context.pollIntervalMs, scheduler, signal);
  }
}

/**
 * The bytes of `records`' data. A function of its own, so that its loop is optimised once for every shard and
 * response, not run in the unoptimised code of each shard's long-lived `readShard`.
 */
function dataBytes(records: readonly _Record[]): number {
  let bytes = 0;
  for (let i = 0; i < records.length; i++) bytes += records[i]!.Data?.byteLength ?? 0;
  return bytes;
}

/** Kinesis answers GetShardIterator on a closed shard, past its last record, without an iterator (as the KCL reads it). */
const END: unique symbol = Symbol('end');

/** GetShardIterator at `position`, retried; counts throttles in `ThrottledGetShardIterator`. */
async function shardIterator(
  shardId: string,
  position: ShardPosition,
  context: ShardReaderContext,
): Promise<string | typeof STOPPED | typeof END> {
  const request = {
    ...context.streamRef,
    ShardId: shardId,
    ShardIteratorType: position.type,
    StartingSequenceNumber: position.type === 'AFTER_SEQUENCE_NUMBER' ? position.sequenceNumber : undefined,
    Timestamp: position.type === 'AT_TIMESTAMP' ? new Date(position.timestampMs) : undefined,
  };
  const output = await callWithRetries(
    'GetShardIterator',
    shardId,
    async () => {
      const { GetShardIteratorCommand } = await kinesisSdk();
      return context.client.send(new GetShardIteratorCommand(request), { abortSignal: context.signal });
    },
    context,
    () => context.metrics?.('ThrottledGetShardIterator', 1, 'Count'),
  );
  if (output === STOPPED) return STOPPED;
  return output.ShardIterator ?? END;
}
