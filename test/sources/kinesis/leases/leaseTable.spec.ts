import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { asyncScheduler } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../../src/index.js';
import { dynamoDbLeases, fromKinesisStream, memoryCheckpointStore } from '../../../../src/sources/kinesis/index.js';
import { REFUSED, LeaseTable } from '../../../../src/sources/kinesis/leases/leaseTable.js';
import { dynamoDbClientFor, startDynalite, type Dynalite } from '../../../support/dynalite.js';

let dynalite: Dynalite;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  dynalite = await startDynalite();
  dynamo = dynamoDbClientFor(dynalite.endpoint);
});

afterAll(async () => {
  dynamo?.destroy();
  await dynalite?.stop();
});

const shard = 'shardId-000000000000';

describe('LeaseTable (dynalite): conditional writes', () => {
  it('should let one of two workers take a lease, refuse the stale owner’s checkpoint and renewal, and keep the new owner’s', async () => {
    const scheduler = asyncScheduler; // the table is created at the first call, and its status polled until ACTIVE
    const table = new LeaseTable(dynamo, 'lease-table-1', 'stream', true, scheduler);
    await table.create(shard, []);
    await table.create(shard, []); // a second creation changes nothing
    const [free] = await table.list();
    expect(free).toEqual({ shardId: shard, owner: undefined, counter: 0, checkpoint: undefined, parentShardIds: [] });

    // A and B race for the free lease: exactly one wins.
    const [byA, byB] = await Promise.all([table.take(free!, 'A'), table.take(free!, 'B')]);
    expect([byA, byB].filter((t) => t === REFUSED)).toHaveLength(1);
    const aWon = byA !== REFUSED;
    const [winner, loser] = aWon ? ['A', 'B'] : ['B', 'A'];
    const taken = (aWon ? byA : byB) as Exclude<typeof byA, typeof REFUSED>;
    expect(taken).toMatchObject({ owner: winner, counter: 1 });

    // The winner checkpoints; then C takes the lease over (as from an expired owner); the old owner's
    // checkpoint and renewal are refused by the conditions, C's checkpoint is written.
    const refused: string[] = [];
    const store = (worker: string) => table.checkpointStore(worker, scheduler, (shardId) => refused.push(`${worker} ${shardId}`));
    await store(winner).save('stream', new Map([[shard, { sequenceNumber: '100', subsequenceNumber: 0 }]]));
    const byC = await table.take(taken, 'C');
    expect(byC).toMatchObject({ owner: 'C', counter: 2, checkpoint: { sequenceNumber: '100', subsequenceNumber: 0 } });
    await store(winner).save('stream', new Map([[shard, { sequenceNumber: '200', subsequenceNumber: 0 }]]));
    await store(loser).save('stream', new Map([[shard, { sequenceNumber: '250', subsequenceNumber: 0 }]]));
    expect(refused).toEqual([`${winner} ${shard}`, `${loser} ${shard}`]);
    expect(await table.renew(shard, winner, 1)).toBe(REFUSED);
    expect(await table.release(shard, winner)).toBe(REFUSED);
    await store('C').save('stream', new Map([[shard, { sequenceNumber: '150', subsequenceNumber: 0 }]]));
    const { Item } = await dynamo.send(
      new GetItemCommand({ TableName: 'lease-table-1', Key: { streamName: { S: 'stream' }, shardId: { S: shard } }, ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ leaseOwner: { S: 'C' }, leaseCounter: { N: '2' }, checkpoint: { S: '150' } });

    // C renews and releases: the lease is free again, its checkpoint kept.
    expect(await table.renew(shard, 'C', 2)).toBe(3);
    expect(await table.release(shard, 'C')).toBeUndefined();
    expect(await table.list()).toEqual([
      { shardId: shard, owner: undefined, counter: 4, checkpoint: { sequenceNumber: '150', subsequenceNumber: 0 }, parentShardIds: [] },
    ]);
  });
});

describe('dynamoDbLeases options', () => {
  const ok = { client: dynamoDbClientFor('http://127.0.0.1:1'), tableName: 'leases' };

  it('should take the KCL’s defaults', () => {
    const { config } = dynamoDbLeases(ok);
    expect(config).toMatchObject({ leaseDurationMs: 10_000, renewalIntervalMs: 3_308, balanceIntervalMs: 20_050, createTable: false });
    expect(config.workerId).toMatch(/^.+:\d+:[0-9a-f]{8}$/);
  });

  it.each([
    ['tableName', 'x', /tableName/],
    ['workerId', '', /workerId/],
    ['leaseDurationMs', 500, /leaseDurationMs.*≥ 1000.*got 500/],
    ['renewalIntervalMs', 5_000, /renewalIntervalMs.*≤ 3333.*got 5000/],
    ['balanceIntervalMs', 0, /balanceIntervalMs/],
    ['maxLeasesPerWorker', 0.5, /maxLeasesPerWorker.*0\.5/],
    ['createTable', 'yes', /createTable/],
    ['namespace', '', /namespace/],
  ])('should refuse %s = %j at construction', (option, value, message) => {
    expect(() => dynamoDbLeases({ ...ok, [option]: value })).toThrow(InvalidOptionError);
    expect(() => dynamoDbLeases({ ...ok, [option]: value })).toThrow(message);
  });

  it('should refuse a checkpointStore beside leases', () => {
    expect(() =>
      fromKinesisStream({
        client: { send: async () => ({}) } as never,
        streamName: 's',
        leases: dynamoDbLeases(ok),
        checkpointStore: memoryCheckpointStore(),
      }),
    ).toThrow(/checkpointStore.*absent when leases are given/);
  });
});
