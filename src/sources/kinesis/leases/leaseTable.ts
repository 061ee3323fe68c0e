import type { AttributeValue, UpdateItemCommand, UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
import type { SchedulerLike } from 'rxjs';
import type { Checkpoint, CheckpointStore } from '../checkpointStores/CheckpointStore.js';
import { dynamoDbSdk, tableReadiness, updateCheckpoint } from '../checkpointStores/dynamoDbCheckpointStore.js';
import type { Lease } from './Lease.js';
import type { DynamoDbLeaseClient } from './options.js';

/** Returned by a conditional write that the table refused: someone else changed the lease first. */
export const REFUSED: unique symbol = Symbol('refused');

const NAMES = {
  '#stream': 'streamName',
  '#shard': 'shardId',
  '#owner': 'leaseOwner',
  '#counter': 'leaseCounter',
};

/**
 * The lease items of one stream in the checkpoint table: the only code of the leases that talks to DynamoDB.
 * Each lease is the shard's checkpoint item of {@link dynamoDbCheckpointStore} with the KCL's lease attributes
 * added: `leaseOwner` (S, absent when free), `leaseCounter` (N) and `parentShardId` (SS). Every change of
 * ownership is a conditional write on the owner and counter last seen, so of two workers racing for a lease
 * exactly one wins; a checkpoint is written only while its writer owns the lease.
 */
export class LeaseTable {
  readonly #whenReady: () => Promise<void>;

  constructor(
    private readonly client: DynamoDbLeaseClient,
    private readonly tableName: string,
    /** The partition key value of the stream's items. */
    readonly streamKey: string,
    createTable: boolean,
    scheduler: SchedulerLike,
  ) {
    this.#whenReady = tableReadiness(client, tableName, createTable, scheduler);
  }

  /** Every lease of the stream (consistent reads, paged). */
  async list(): Promise<Lease[]> {
    await this.#whenReady();
    const { QueryCommand } = await dynamoDbSdk();
    const leases: Lease[] = [];
    let exclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#stream = :stream',
          ExpressionAttributeNames: { '#stream': 'streamName' },
          ExpressionAttributeValues: { ':stream': { S: this.streamKey } },
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        // An item with a checkpoint and no counter was written by a dynamoDbCheckpointStore: a lease nobody holds.
        const lease = leaseOf(item);
        if (lease !== undefined) leases.push(lease);
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey !== undefined);
    return leases;
  }

  /** Makes the shard a lease if it is not one yet (keeping any checkpoint it has); a no-op for an existing lease. */
  async create(shardId: string, parentShardIds: readonly string[]): Promise<void> {
    await this.#whenReady();
    const { UpdateItemCommand } = await dynamoDbSdk();
    const parents = parentShardIds.length > 0;
    await this.#conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.#key(shardId),
        UpdateExpression: parents ? 'SET #counter = :zero, #parents = :parents' : 'SET #counter = :zero',
        ConditionExpression: 'attribute_not_exists(#counter)',
        ExpressionAttributeNames: { '#counter': 'leaseCounter', ...(parents ? { '#parents': 'parentShardId' } : {}) },
        ExpressionAttributeValues: { ':zero': { N: '0' }, ...(parents ? { ':parents': { SS: [...parentShardIds] } } : {}) },
      }),
    );
  }

  /** Takes the lease as last seen (owner and counter unchanged since), for `workerId`; the lease as taken, or {@link REFUSED}. */
  async take(seen: Lease, workerId: string): Promise<Lease | typeof REFUSED> {
    const { UpdateItemCommand } = await dynamoDbSdk();
    const output = await this.#conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.#key(seen.shardId),
        UpdateExpression: 'SET #owner = :me, #counter = #counter + :one',
        ConditionExpression: `#counter = :seen AND ${seen.owner === undefined ? 'attribute_not_exists(#owner)' : '#owner = :owner'}`,
        ExpressionAttributeNames: { '#owner': NAMES['#owner'], '#counter': NAMES['#counter'] },
        ExpressionAttributeValues: {
          ':me': { S: workerId },
          ':one': { N: '1' },
          ':seen': { N: String(seen.counter) },
          ...(seen.owner === undefined ? {} : { ':owner': { S: seen.owner } }),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (output === REFUSED) return REFUSED;
    return leaseOf(output.Attributes ?? {}) ?? REFUSED;
  }

  /** Moves the counter of a lease `workerId` holds at `counter`; the new counter, or {@link REFUSED} when it was lost. */
  async renew(shardId: string, workerId: string, counter: number): Promise<number | typeof REFUSED> {
    const { UpdateItemCommand } = await dynamoDbSdk();
    const output = await this.#conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.#key(shardId),
        UpdateExpression: 'SET #counter = #counter + :one',
        ConditionExpression: '#owner = :me AND #counter = :counter',
        ExpressionAttributeNames: { '#owner': NAMES['#owner'], '#counter': NAMES['#counter'] },
        ExpressionAttributeValues: { ':me': { S: workerId }, ':one': { N: '1' }, ':counter': { N: String(counter) } },
      }),
    );
    return output === REFUSED ? REFUSED : counter + 1;
  }

  /** Frees a lease `workerId` holds, so that another worker takes it at once (no wait for it to expire). */
  async release(shardId: string, workerId: string): Promise<void | typeof REFUSED> {
    const { UpdateItemCommand } = await dynamoDbSdk();
    const output = await this.#conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.#key(shardId),
        UpdateExpression: 'REMOVE #owner SET #counter = #counter + :one',
        ConditionExpression: '#owner = :me',
        ExpressionAttributeNames: { '#owner': NAMES['#owner'], '#counter': NAMES['#counter'] },
        ExpressionAttributeValues: { ':me': { S: workerId }, ':one': { N: '1' } },
      }),
    );
    return output === REFUSED ? REFUSED : undefined;
  }

  /**
   * The checkpoint store of the stream's leases: each checkpoint is written only while `workerId` owns the
   * shard's lease (and only forward, as {@link dynamoDbCheckpointStore} does). A write the condition refuses is
   * not an error: the lease went to another worker, whose checkpoint stands; the records behind it are read
   * again by that worker (at-least-once).
   */
  checkpointStore(workerId: string, scheduler: SchedulerLike, onRefused: (shardId: string) => void): CheckpointStore {
    return {
      load: async () => new Map(), // a lease brings its checkpoint when it is taken
      save: async (_streamName, checkpoints: ReadonlyMap<string, Checkpoint>) => {
        await this.#whenReady();
        const { UpdateItemCommand } = await dynamoDbSdk();
        const updatedAtMs = String(Math.round(scheduler.now()));
        const results = await Promise.allSettled(
          [...checkpoints].map(async ([shardId, checkpoint]) => {
            const input = updateCheckpoint(this.tableName, this.streamKey, shardId, checkpoint, updatedAtMs);
            const forward = input.ConditionExpression;
            const output = await this.#conditional(
              new UpdateItemCommand({
                ...input,
                ConditionExpression: forward === undefined ? '#owner = :me' : `#owner = :me AND (${forward})`,
                ExpressionAttributeNames: { ...input.ExpressionAttributeNames, '#owner': NAMES['#owner'] },
                ExpressionAttributeValues: { ...input.ExpressionAttributeValues, ':me': { S: workerId } },
              }),
            );
            if (output === REFUSED) onRefused(shardId);
          }),
        );
        for (const result of results) if (result.status === 'rejected') throw result.reason;
      },
    };
  }

  #key(shardId: string): Record<string, AttributeValue> {
    return { streamName: { S: this.streamKey }, shardId: { S: shardId } };
  }

  /** Sends a conditional write; {@link REFUSED} when its condition failed. */
  async #conditional(command: UpdateItemCommand): Promise<UpdateItemCommandOutput | typeof REFUSED> {
    await this.#whenReady();
    try {
      return await this.client.send(command);
    } catch (err) {
      if ((err as Error | undefined)?.name === 'ConditionalCheckFailedException') return REFUSED;
      throw err;
    }
  }
}

function leaseOf(item: Record<string, AttributeValue>): Lease | undefined {
  const shardId = item['shardId']?.S;
  const counter = item['leaseCounter']?.N;
  if (shardId === undefined) return undefined;
  const sequenceNumber = item['checkpoint']?.S;
  return {
    shardId,
    owner: item['leaseOwner']?.S,
    counter: counter === undefined ? -1 : Number(counter), // -1: not a lease yet (a checkpoint item only)
    checkpoint:
      sequenceNumber === undefined ? undefined : { sequenceNumber, subsequenceNumber: Number(item['checkpointSubSequenceNumber']?.N ?? 0) },
    parentShardIds: item['parentShardId']?.SS ?? [],
  };
}
