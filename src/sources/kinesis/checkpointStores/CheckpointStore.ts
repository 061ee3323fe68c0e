/** The checkpoint of a shard that was read to its end and whose records were all settled. */
export const SHARD_END = 'SHARD_END';

/**
 * How far a shard was read and settled: every record up to and including this one is settled (delivered,
 * dropped or written to the error output), so a restart reads the shard from the record after it.
 */
export interface Checkpoint {
  /** The sequence number of the last settled record, or {@link SHARD_END} once the shard is finished. */
  readonly sequenceNumber: string;
  /**
   * The subsequence number of that record's last sub-record (KPL aggregation), 0 for a record that was not
   * aggregated. A checkpoint always stands for a whole Kinesis record: an aggregated record counts once all
   * of its sub-records settled.
   */
  readonly subsequenceNumber: number;
}

/**
 * Where `fromKinesisStream` keeps its checkpoints: one per shard, grouped by stream name.
 *
 * `load` returns every checkpoint saved for a stream (an empty map for a stream never seen). `save` stores
 * several checkpoints of one stream at once, replacing earlier ones of the same shards; it resolves once they
 * are durable. The source calls `save` at most once at a time per stream and retries a failure with backoff,
 * so a store need not queue or retry itself; an error whose `name` says it is permanent
 * (`AccessDeniedException`, `ResourceNotFoundException`, `EACCES`, …) ends the source with that error.
 *
 * Built in: {@link memoryCheckpointStore} (tests), {@link fileCheckpointStore} (one process, the default),
 * {@link dynamoDbCheckpointStore} (one item per shard, a table laid out for leases).
 *
 * ## Example
 * ```ts
 * import type { CheckpointStore, Checkpoint } from 'rx-firehose';
 *
 * const redisStore: CheckpointStore = {
 *   async load(streamName) {
 *     const all = await redis.hgetall(`checkpoints:${streamName}`);
 *     return new Map(Object.entries(all).map(([shardId, json]) => [shardId, JSON.parse(json) as Checkpoint]));
 *   },
 *   async save(streamName, checkpoints) {
 *     await redis.hset(`checkpoints:${streamName}`, Object.fromEntries([...checkpoints].map(([k, v]) => [k, JSON.stringify(v)])));
 *   },
 * };
 * ```
 */
export interface CheckpointStore {
  load(streamName: string): Promise<ReadonlyMap<string, Checkpoint>>;
  save(streamName: string, checkpoints: ReadonlyMap<string, Checkpoint>): Promise<void>;
}
