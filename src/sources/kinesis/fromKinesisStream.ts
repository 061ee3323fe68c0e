import { Observable } from 'rxjs';
import type { FirehoseRecord } from '../../records/FirehoseRecord.js';
import { consumeStream } from './consumeStream.js';
import { checkKinesisOptions, type FromKinesisStreamOptions } from './options.js';

/**
 * A Kinesis Data Stream as a source of records, checkpointed only as far as the pipeline settled them:
 * at-least-once, with bounded memory.
 *
 * <span class="informal">Firehose's Kinesis source: every shard, resharding, KPL de-aggregation, and checkpoints of what was delivered, not of what was received.</span>
 *
 * ```
 * shard 0:  --r1--r2--r3-------r4---      GetRecords every pollIntervalMs per shard
 * shard 1:  -----s1------s2---------
 * output:   --r1-s1r2--r3s2----r4---      one record per user record, in order within a shard
 * settled:         r1    s1 r2          → checkpoints: shard 0 at r2, shard 1 at s1 (r3 and s2 still in flight)
 * ```
 *
 * Reads every shard of the stream (ListShards, paged), each with GetShardIterator and a GetRecords loop:
 * every `pollIntervalMs` (default 1 s, as Firehose), or every 200 ms (the shard's limit of 5 calls/s) while
 * it is behind. Throttles (`ProvisionedThroughputExceededException`) and transient errors are retried with
 * capped backoff, forever; an expired iterator is renewed after the last record read; a deleted stream or a
 * missing permission ends the source with {@link KinesisSourceError}.
 *
 * Resharding: the shard list is read again whenever a shard ends and every `shardSyncIntervalMs`; a parent
 * is read to its end and its records all settled before its children start (split and merge), as the KCL
 * does, so each partition key keeps its order.
 *
 * Each record carries `kinesisRecordMetadata` (shard, partition key, sequence and subsequence numbers, arrival
 * time), a `recordId` that stays the same when it is read again (`<shardId>-<sequence>-<subsequence>`), the
 * arrival time Kinesis gave it, and a settlement. KPL-aggregated records become their sub-records (see
 * {@link deaggregate}). Each shard's checkpoint moves to the last record below which every record is settled
 * (delivered, dropped or written to the error output); an aggregated record counts once all its sub-records
 * are. On start, a shard resumes right after its checkpoint; a shard without one at `startingPosition`.
 *
 * Memory: GetRecords is not called while the bytes emitted and not yet passed by their shard's checkpoint
 * (unsettled, or settled behind a record still in flight) reach `maxInFlightBytes`; so a slow destination
 * slows reading instead of filling the heap, and what a crash replays stays within the budget plus one
 * response per shard. Records must therefore be settled: by `deliverTo`, or by `settleRecord` in your own sink.
 *
 * Stopping: abort `signal`. Reading stops, the source completes (so buffers flush and `deliverTo` drains), and
 * checkpoints go on being saved as the last records settle; `onStopped` is told when all are saved.
 * Unsubscribing instead stops at once, and what was in flight is read again next time.
 *
 * ## Example
 * ```ts
 * import { KinesisClient } from '@aws-sdk/client-kinesis';
 * import { fromKinesisStream, fileCheckpointStore, directoryDestination } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const stop = new AbortController();
 * process.once('SIGTERM', () => stop.abort());
 *
 * fromKinesisStream({
 *   client: new KinesisClient({}),
 *   streamName: 'clicks',
 *   startingPosition: 'TRIM_HORIZON',
 *   checkpointStore: fileCheckpointStore({ path: './checkpoints.json' }),
 *   signal: stop.signal,
 *   onStopped: () => console.log('final checkpoints saved'),
 * }).pipe(
 *   bufferBySizeOrTime({ maxBytes: 5 << 20, maxMs: 60_000 }),
 *   deliverTo(directoryDestination({ path: './out', streamName: 'clicks' })),
 * ).subscribe((result) => console.log(result.status, result.location));
 * ```
 *
 * @param options The client, the stream, where to start, polling, checkpoints, budget, stopping, hooks.
 * @returns A cold Observable: each subscription reads the stream on its own (share it to fan out).
 * @throws {InvalidOptionError} at the call, for an invalid option.
 * @see fileCheckpointStore, dynamoDbCheckpointStore, memoryCheckpointStore for where checkpoints go.
 * @see deaggregate for the KPL format.
 */
export function fromKinesisStream(options: FromKinesisStreamOptions): Observable<FirehoseRecord> {
  const config = checkKinesisOptions(options);
  return new Observable<FirehoseRecord>((subscriber) => consumeStream(config, subscriber));
}
