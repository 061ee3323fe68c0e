import { checkLeaseOptions, type DynamoDbLeasesOptions, type LeaseConfig } from './options.js';

/** Shard leases for `fromKinesisStream`'s `leases` option: made by {@link dynamoDbLeases}. */
export interface KinesisLeases {
  /** This worker's name in the lease table. */
  readonly workerId: string;
  /** The options, checked, with their defaults. */
  readonly config: LeaseConfig;
}

/**
 * Shard leases in DynamoDB, so that several processes (on several machines) share a stream's shards the way
 * the KCL's workers do: each shard is read by one worker at a time, a failed worker's shards are taken over
 * once its leases expire, a new worker gets its fair share, and a stopped one hands its shards over at once.
 *
 * <span class="informal">Give the same table and stream to every process; each gets about shards ÷ workers.</span>
 *
 * ```
 * 12 shards   worker A: 0 1 2 3 4 5 6 7 8 9 10 11
 * B starts    A: 0 1 2 3 4 5     B: 6 7 8 9 10 11     (one lease stolen per balance round)
 * C starts    A: 0 1 2 3  B: 6 7 8 9  C: 4 5 10 11
 * B dies      after leaseDurationMs, A and C take B's leases: 6 each, from B's last checkpoints
 * ```
 *
 * The table is the one a {@link dynamoDbCheckpointStore} uses (partition key `streamName`, sort key `shardId`):
 * each shard's item is its lease, with `leaseOwner`, `leaseCounter` and `parentShardId` beside the checkpoint,
 * so a pipeline that checkpointed with `dynamoDbCheckpointStore` keeps its checkpoints when it starts using leases.
 * Checkpoints are written only while their writer owns the lease: a worker that lost a shard cannot move the
 * checkpoint of the worker that took it. Children of a split or merge are taken only once every parent's
 * lease reached `SHARD_END`, whichever worker read it.
 *
 * Defaults are the KCL's: leases expire after 10 s without renewal (`failoverTimeMillis`), are renewed every
 * 3308 ms and balanced every 20050 ms, with no limit per worker; the shard list is read every
 * `shardSyncIntervalMs` of the source. See docs/sources/kinesis.md, "Scaling out".
 *
 * ## Example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { KinesisClient } from '@aws-sdk/client-kinesis';
 * import { dynamoDbLeases, fromKinesisStream } from 'rx-firehose';
 *
 * const stop = new AbortController();
 * process.once('SIGTERM', () => stop.abort()); // hands the shards over at once
 *
 * fromKinesisStream({
 *   client: new KinesisClient({}),
 *   streamName: 'clicks',
 *   leases: dynamoDbLeases({ client: new DynamoDBClient({}), tableName: 'clicks-to-s3', createTable: true }),
 *   signal: stop.signal,
 * });
 * ```
 *
 * @param options The DynamoDB client and table, this worker's id, and the lease timings.
 * @returns The leases, to pass as `fromKinesisStream`'s `leases` (instead of a `checkpointStore`).
 * @throws {InvalidOptionError} at the call, for an invalid option.
 * @see dynamoDbCheckpointStore for the table's layout.
 */
export function dynamoDbLeases(options: DynamoDbLeasesOptions): KinesisLeases {
  const config = checkLeaseOptions(options);
  return { workerId: config.workerId, config };
}
