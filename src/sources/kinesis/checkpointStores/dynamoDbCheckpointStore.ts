import type {
  AttributeValue,
  CreateTableCommand,
  CreateTableCommandOutput,
  DescribeTableCommand,
  DescribeTableCommandOutput,
  QueryCommand,
  QueryCommandOutput,
  UpdateItemCommand,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { asyncScheduler, firstValueFrom, timer, type SchedulerLike } from 'rxjs';
import { optionalPeer } from '../../../aws/optionalPeer.js';
import type { InvalidOptionError } from '../../../errors/InvalidOptionError.js';
import { checkKind } from '../../../options/checkKind.js';
import { checkDynamoDbTableOptions } from './checkDynamoDbTableOptions.js';
import { SHARD_END, type Checkpoint, type CheckpointStore } from './CheckpointStore.js';

const NAME = 'dynamoDbCheckpointStore';
/** How often the table's status is asked while it is being created. */
const TABLE_POLL_MS = 100;
/** How long a table may take to become ACTIVE. */
const TABLE_WAIT_MS = 120_000;
/** The SDK's commands, loaded at the first call: importing rx-firehose loads no AWS SDK. */
export const dynamoDbSdk: () => Promise<typeof import('@aws-sdk/client-dynamodb')> = optionalPeer(
  '@aws-sdk/client-dynamodb',
  NAME,
  () => import('@aws-sdk/client-dynamodb'),
);

/** The DynamoDB calls the store makes: a `DynamoDBClient` from `@aws-sdk/client-dynamodb` fits. */
export interface DynamoDbCheckpointClient {
  send(command: QueryCommand): Promise<QueryCommandOutput>;
  send(command: UpdateItemCommand): Promise<UpdateItemCommandOutput>;
  send(command: DescribeTableCommand): Promise<DescribeTableCommandOutput>;
  send(command: CreateTableCommand): Promise<CreateTableCommandOutput>;
}

export interface DynamoDbCheckpointStoreOptions {
  /** The caller's DynamoDB client. */
  readonly client: DynamoDbCheckpointClient;
  /** The table (one per application, like the KCL's lease table); several streams may share it. */
  readonly tableName: string;
  /** Create the table (on-demand capacity) at first use when it is missing, and wait until it is ACTIVE. Default `false`. */
  readonly createTable?: boolean | undefined;
  /** Where waits for the table run and the clock for `updatedAtMs` is read. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * A {@link CheckpointStore} in a DynamoDB table: one item per shard, laid out so that leases (several
 * processes sharing a stream's shards) can be added to the same items later.
 *
 * | attribute | type | holds |
 * |---|---|---|
 * | `streamName` | S, partition key | the stream |
 * | `shardId` | S, sort key | the shard |
 * | `checkpoint` | S | sequence number of the last settled record, or `SHARD_END` (the KCL's attribute) |
 * | `checkpointSubSequenceNumber` | N | its last sub-record (the KCL's attribute) |
 * | `updatedAtMs` | N | when it was written, on the store's scheduler |
 *
 * Loading a stream is one Query on its partition key (consistent reads). Saving is one UpdateItem per shard
 * that sets only these attributes: attributes written by others on the same item (a future `leaseOwner`,
 * `leaseCounter`) are never overwritten. A save resolves or rejects only once every one of its UpdateItems
 * is over (rejecting with the first error), so no write of a failed save can land after a later save.
 *
 * A checkpoint never moves back: each UpdateItem is conditional on the stored checkpoint being missing, or
 * before the new one (sequence numbers compared as numbers: shorter first, then by their digits; then the
 * subsequence number), and `SHARD_END` is never replaced. A write refused by that condition means the item
 * already holds this checkpoint or a later one: the save counts it as done.
 *
 * ## Example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { dynamoDbCheckpointStore, fromKinesisStream } from 'rx-firehose';
 *
 * const checkpointStore = dynamoDbCheckpointStore({ client: new DynamoDBClient({}), tableName: 'clicks-to-s3', createTable: true });
 * fromKinesisStream({ client: kinesis, streamName: 'clicks', checkpointStore });
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option.
 */
export function dynamoDbCheckpointStore(options: DynamoDbCheckpointStoreOptions): CheckpointStore {
  const { client, tableName, createTable } = checkDynamoDbTableOptions(NAME, options);
  const scheduler = checkKind(NAME, 'scheduler', options.scheduler, 'scheduler', asyncScheduler);

  const whenReady = tableReadiness(client, tableName, createTable, scheduler);

  return {
    async load(streamName) {
      await whenReady();
      const { QueryCommand } = await dynamoDbSdk();
      const checkpoints = new Map<string, Checkpoint>();
      let exclusiveStartKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: '#stream = :stream',
            ExpressionAttributeNames: { '#stream': 'streamName' },
            ExpressionAttributeValues: { ':stream': { S: streamName } },
            ConsistentRead: true,
            ExclusiveStartKey: exclusiveStartKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const shardId = item['shardId']?.S;
          const sequenceNumber = item['checkpoint']?.S;
          if (shardId === undefined || sequenceNumber === undefined) continue; // an item without a checkpoint (a lease only)
          checkpoints.set(shardId, { sequenceNumber, subsequenceNumber: Number(item['checkpointSubSequenceNumber']?.N ?? 0) });
        }
        exclusiveStartKey = page.LastEvaluatedKey;
      } while (exclusiveStartKey !== undefined);
      return checkpoints;
    },
    async save(streamName, checkpoints) {
      await whenReady();
      const { UpdateItemCommand } = await dynamoDbSdk();
      const updatedAtMs = String(Math.round(scheduler.now()));
      // allSettled, not all: on a failure the other writes go on, and one of them landing after the next save
      // (which the source makes as soon as this one rejects) could move a checkpoint back.
      const results = await Promise.allSettled(
        [...checkpoints].map(([shardId, checkpoint]) =>
          client.send(new UpdateItemCommand(updateCheckpoint(tableName, streamName, shardId, checkpoint, updatedAtMs))),
        ),
      );
      for (const result of results) {
        if (result.status === 'rejected' && (result.reason as Error | undefined)?.name !== 'ConditionalCheckFailedException')
          throw result.reason;
      }
    },
  };
}

/** Resolves once the table may be used: at once, or (with `createTable`) once it exists and is ACTIVE; a failure is tried again at the next call. */
export function tableReadiness(
  client: DynamoDbCheckpointClient,
  tableName: string,
  createTable: boolean,
  scheduler: SchedulerLike,
): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    if (!createTable) return Promise.resolve();
    ready ??= ensureTable(client, tableName, scheduler);
    ready.catch(() => (ready = undefined));
    return ready;
  };
}

/**
 * Sets a shard's checkpoint unless the stored one is already at or past it. Kinesis sequence numbers are
 * decimal strings of up to 128 digits without leading zeros, compared here as numbers: a shorter one is
 * smaller, and among those of one length string order is number order. `SHARD_END` is final.
 */
export function updateCheckpoint(
  tableName: string,
  streamName: string,
  shardId: string,
  checkpoint: Checkpoint,
  updatedAtMs: string,
): UpdateItemCommand['input'] {
  const names = { '#checkpoint': 'checkpoint', '#sub': 'checkpointSubSequenceNumber', '#updated': 'updatedAtMs' };
  const values: Record<string, AttributeValue> = {
    ':checkpoint': { S: checkpoint.sequenceNumber },
    ':sub': { N: String(checkpoint.subsequenceNumber) },
    ':updated': { N: updatedAtMs },
  };
  const forward =
    checkpoint.sequenceNumber === SHARD_END
      ? undefined // the last checkpoint of a shard: nothing comes after it
      : 'attribute_not_exists(#checkpoint) OR (#checkpoint <> :end AND (size(#checkpoint) < :length' +
        ' OR (size(#checkpoint) = :length AND #checkpoint < :checkpoint)' +
        ' OR (#checkpoint = :checkpoint AND (attribute_not_exists(#sub) OR #sub <= :sub))))';
  if (forward !== undefined)
    Object.assign(values, { ':end': { S: SHARD_END }, ':length': { N: String(checkpoint.sequenceNumber.length) } });
  return {
    TableName: tableName,
    Key: { streamName: { S: streamName }, shardId: { S: shardId } },
    UpdateExpression: 'SET #checkpoint = :checkpoint, #sub = :sub, #updated = :updated',
    ConditionExpression: forward,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export async function ensureTable(client: DynamoDbCheckpointClient, tableName: string, scheduler: SchedulerLike): Promise<void> {
  const status = await tableStatus(client, tableName);
  if (status === undefined) {
    const { CreateTableCommand } = await dynamoDbSdk();
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [
            { AttributeName: 'streamName', AttributeType: 'S' },
            { AttributeName: 'shardId', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'streamName', KeyType: 'HASH' },
            { AttributeName: 'shardId', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ResourceInUseException') throw err; // created meanwhile by someone else
    }
  }
  const deadline = scheduler.now() + TABLE_WAIT_MS;
  for (let s = status; s !== 'ACTIVE'; s = await tableStatus(client, tableName)) {
    if (scheduler.now() > deadline) throw new Error(`${NAME}: table ${tableName} is still ${s ?? 'missing'} after ${TABLE_WAIT_MS} ms`);
    await firstValueFrom(timer(TABLE_POLL_MS, scheduler));
  }
}

async function tableStatus(client: DynamoDbCheckpointClient, tableName: string): Promise<string | undefined> {
  const { DescribeTableCommand } = await dynamoDbSdk();
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}
