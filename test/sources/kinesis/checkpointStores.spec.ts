import { CreateTableCommand, GetItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, settleRecord } from '../../../src/index.js';
import {
  dynamoDbCheckpointStore,
  fileCheckpointStore,
  fromKinesisStream,
  KinesisSourceError,
  memoryCheckpointStore,
  SHARD_END,
  type Checkpoint,
  type CheckpointStore,
  type DynamoDbCheckpointClient,
} from '../../../src/sources/kinesis/index.js';
import { dynamoDbClientFor, startDynalite, type Dynalite } from '../../support/dynalite.js';
import { createStream, kinesisClientFor, putRecords, startKinesalite, type Kinesalite } from '../../support/kinesalite.js';
import { waitFor } from './waitFor.js';

const here = dirname(fileURLToPath(import.meta.url));
let work: string;
let dynalite: Dynalite;
let dynamo: DynamoDBClient;
let kinesalite: Kinesalite;
let kinesis: KinesisClient;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rx-firehose-checkpoints-'));
  [dynalite, kinesalite] = await Promise.all([startDynalite(), startKinesalite()]);
  dynamo = dynamoDbClientFor(dynalite.endpoint);
  kinesis = kinesisClientFor(kinesalite.endpoint);
});

afterAll(async () => {
  dynamo?.destroy();
  kinesis?.destroy();
  await Promise.all([dynalite?.stop(), kinesalite?.stop()]);
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

const cp = (sequenceNumber: string, subsequenceNumber = 0): Checkpoint => ({ sequenceNumber, subsequenceNumber });

/** What every store must do. */
function describeStore(name: string, create: () => Promise<CheckpointStore>): void {
  describe(`${name} (shared behaviour)`, () => {
    it('should load nothing for a stream never saved', async () => {
      const store = await create();
      expect(await store.load('never')).toEqual(new Map());
    });

    it('should load what was saved, per stream, the latest checkpoint of each shard winning', async () => {
      const store = await create();
      await store.save(
        'a',
        new Map([
          ['shardId-000000000000', cp('100')],
          ['shardId-000000000001', cp('200', 3)],
        ]),
      );
      await store.save('b', new Map([['shardId-000000000000', cp('999')]]));
      await store.save('a', new Map([['shardId-000000000000', cp(SHARD_END)]]));
      expect(await store.load('a')).toEqual(
        new Map([
          ['shardId-000000000000', cp(SHARD_END)],
          ['shardId-000000000001', cp('200', 3)],
        ]),
      );
      expect(await store.load('b')).toEqual(new Map([['shardId-000000000000', cp('999')]]));
    });
  });
}

describeStore('memoryCheckpointStore', async () => memoryCheckpointStore());
describeStore('fileCheckpointStore', async () => fileCheckpointStore({ path: join(work, `${Math.random()}`, 'checkpoints.json') }));
let tables = 0;
describeStore('dynamoDbCheckpointStore', async () =>
  dynamoDbCheckpointStore({ client: dynamo, tableName: `checkpoints-${tables++}`, createTable: true }),
);

describe('fileCheckpointStore', () => {
  it('should survive SIGKILL at any moment of a write: the file always parses, and holds at least every save that resolved', async () => {
    const path = join(work, 'killed', 'checkpoints.json');
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fileStoreWriter.ts')], {
        env: { ...process.env, CHECKPOINT_FILE: path },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let lastSaved = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        const numbers = chunk.toString('utf8').match(/saved (\d+)/g) ?? [];
        if (numbers.length > 0) lastSaved = Number(numbers.at(-1)!.slice(6));
      });
      await waitFor(() => lastSaved >= 20 + round * 7, 'saves', 20_000);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const store = fileCheckpointStore({ path });
      const saved = (await store.load('counter')).get('shardId-000000000000');
      // Each save resolved only once durable: the file holds the last one reported, or the one after it.
      expect(Number(saved?.sequenceNumber)).toBeGreaterThanOrEqual(lastSaved);
      expect(Number(saved?.sequenceNumber)).toBeLessThanOrEqual(lastSaved + 1);
      expect((await store.load('bulk')).size).toBe(2_000);
      JSON.parse(await readFile(path, 'utf8'));
    }
  }, 60_000);

  it('should leave no temporary file after its saves, and ignore one left by a crash', async () => {
    const dir = join(work, 'clean');
    const path = join(dir, 'checkpoints.json');
    const store = fileCheckpointStore({ path, fsync: false });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save('s', new Map([[`shard-${i}`, cp(String(i))]]))));
    expect(await readdir(dir)).toEqual(['checkpoints.json']);
    expect((await store.load('s')).size).toBe(20);
    await writeFile(join(dir, '.checkpoints.json.abcdef.tmp'), '{"version":1,"str');
    expect((await fileCheckpointStore({ path }).load('s')).size).toBe(20);
  });

  it('should keep every stream when several store objects share one file (one per stream)', async () => {
    const dir = join(work, 'shared');
    const path = join(dir, 'checkpoints.json');
    const orders = fileCheckpointStore({ path, fsync: false });
    const clicks = fileCheckpointStore({ path: join(dir, 'sub', '..', 'checkpoints.json'), fsync: false }); // the same file, spelled otherwise
    expect(await clicks.load('clicks')).toEqual(new Map()); // its source starts first, the file still empty
    await orders.save('orders', new Map([['shardId-000000000000', cp('100')]]));
    await clicks.save('clicks', new Map([['shardId-000000000000', cp('7')]]));
    // Saves of both, interleaved: one write at a time, none lost.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? orders : clicks).save(i % 2 === 0 ? 'orders' : 'clicks', new Map([[`shard-${i}`, cp(String(i))]])),
      ),
    );
    const file = JSON.parse(await readFile(path, 'utf8')) as { streams: Record<string, Record<string, Checkpoint>> };
    expect(file.streams['orders']?.['shardId-000000000000']).toEqual(cp('100'));
    expect(file.streams['clicks']?.['shardId-000000000000']).toEqual(cp('7'));
    expect(Object.keys(file.streams['orders']!)).toHaveLength(11);
    expect(Object.keys(file.streams['clicks']!)).toHaveLength(11);
    for (const store of [orders, clicks, fileCheckpointStore({ path })]) {
      expect((await store.load('orders')).get('shardId-000000000000')).toEqual(cp('100'));
      expect((await store.load('clicks')).get('shardId-000000000000')).toEqual(cp('7'));
    }
  });

  it('should refuse a damaged file instead of starting over, and the source should end with a clear error', async () => {
    const path = join(work, 'damaged.json');
    await writeFile(path, '{"version":1,"streams":');
    const store = fileCheckpointStore({ path });
    await expect(store.load('s')).rejects.toMatchObject({
      code: 'ECHECKPOINTFILE',
      message: expect.stringContaining('is not a checkpoint file (invalid JSON'),
    });
    const error = await lastValueFrom(fromKinesisStream({ client: kinesis, streamName: 's', checkpointStore: store })).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(KinesisSourceError);
    expect(error).toMatchObject({ operation: 'CheckpointStore.load', code: 'ECHECKPOINTFILE' });
  });

  it('should refuse invalid options', () => {
    expect(() => fileCheckpointStore({ path: '' })).toThrow(InvalidOptionError);
    expect(() => fileCheckpointStore({ path: 'x', fsync: 'yes' as never })).toThrow(
      'fileCheckpointStore: fsync must be true or false; got "yes"',
    );
  });
});

describe('dynamoDbCheckpointStore (dynalite)', () => {
  it('should keep one item per shard in the KCL-like layout, and never overwrite lease attributes', async () => {
    const store = dynamoDbCheckpointStore({ client: dynamo, tableName: 'layout', createTable: true });
    await store.save('clicks', new Map([['shardId-000000000000', cp('4968', 2)]]));
    const key = { streamName: { S: 'clicks' }, shardId: { S: 'shardId-000000000000' } };
    await dynamo.send(
      new UpdateItemCommand({
        TableName: 'layout',
        Key: key,
        UpdateExpression: 'SET leaseOwner = :o, leaseCounter = :c',
        ExpressionAttributeValues: { ':o': { S: 'worker-1' }, ':c': { N: '7' } },
      }),
    );
    await store.save('clicks', new Map([['shardId-000000000000', cp('4969', 0)]]));
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: 'layout', Key: key, ConsistentRead: true }));
    expect(Item).toEqual({
      streamName: { S: 'clicks' },
      shardId: { S: 'shardId-000000000000' },
      checkpoint: { S: '4969' },
      checkpointSubSequenceNumber: { N: '0' },
      updatedAtMs: { N: expect.stringMatching(/^\d+$/) },
      leaseOwner: { S: 'worker-1' },
      leaseCounter: { N: '7' },
    });
  });

  it('should settle every UpdateItem of a save before rejecting it with the first error, so no write of a failed save lands later', async () => {
    const store = dynamoDbCheckpointStore({ client: dynamo, tableName: 'settled', createTable: true });
    await store.save('s', new Map([['slow', cp('1')]])); // the table exists
    const landed: string[] = [];
    // The real client, except that shard "bad" is refused at once and shard "slow" takes 300 ms to land.
    const flaky = {
      send: async (command: UpdateItemCommand) => {
        const shardId = command.input.Key?.['shardId']?.S;
        if (shardId === 'bad') throw Object.assign(new Error('Internal server error'), { name: 'InternalServerError' });
        if (shardId === 'slow') await new Promise((resolve) => setTimeout(resolve, 300));
        const output = await dynamo.send(command);
        landed.push(shardId!);
        return output;
      },
    } as DynamoDbCheckpointClient;
    const failing = dynamoDbCheckpointStore({ client: flaky, tableName: 'settled' });
    await expect(
      failing.save(
        's',
        new Map([
          ['bad', cp('5')],
          ['slow', cp('2')],
        ]),
      ),
    ).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(landed).toEqual(['slow']); // over before the save rejected: the retry that follows cannot be overtaken by it
    await store.save('s', new Map([['slow', cp('3')]]));
    expect((await store.load('s')).get('slow')).toEqual(cp('3'));
  });

  it('should never move a checkpoint back: an older one is ignored, SHARD_END is final, sequence numbers compare as numbers', async () => {
    const store = dynamoDbCheckpointStore({ client: dynamo, tableName: 'forward', createTable: true });
    const saveAndLoad = async (checkpoint: Checkpoint): Promise<Checkpoint | undefined> => {
      await store.save('s', new Map([['shard', checkpoint]])); // resolves: the item already holds this one or a later one
      return (await store.load('s')).get('shard');
    };
    expect(await saveAndLoad(cp('99'))).toEqual(cp('99'));
    expect(await saveAndLoad(cp('100'))).toEqual(cp('100')); // longer is larger ("100" < "99" as strings)
    expect(await saveAndLoad(cp('99'))).toEqual(cp('100')); // back: ignored
    expect(await saveAndLoad(cp('101', 3))).toEqual(cp('101', 3));
    expect(await saveAndLoad(cp('101', 1))).toEqual(cp('101', 3)); // an earlier sub-record of the same record: ignored
    expect(await saveAndLoad(cp('101', 3))).toEqual(cp('101', 3)); // the same again (a retried save): fine
    expect(await saveAndLoad(cp('101', 4))).toEqual(cp('101', 4));
    expect(await saveAndLoad(cp(SHARD_END))).toEqual(cp(SHARD_END));
    expect(await saveAndLoad(cp('9'.repeat(60)))).toEqual(cp(SHARD_END)); // final
    // Several shards in one save: each is judged on its own.
    await store.save(
      's',
      new Map([
        ['shard', cp('7')],
        ['other', cp('7')],
      ]),
    );
    expect(await store.load('s')).toEqual(
      new Map([
        ['shard', cp(SHARD_END)],
        ['other', cp('7')],
      ]),
    );
  });

  it('should page through a stream whose checkpoints take more than one Query page (1 MB)', async () => {
    let queries = 0;
    // The real client, counting its Query calls.
    const counting = {
      send: (command: QueryCommand) => {
        if (command instanceof QueryCommand) queries++;
        return dynamo.send(command);
      },
    } as DynamoDbCheckpointClient;
    const store = dynamoDbCheckpointStore({ client: counting, tableName: 'many', createTable: true });
    // 400 items of 3 KB (long values stand in for many shards): 1.2 MB.
    const many = new Map(Array.from({ length: 400 }, (_, i) => [`shardId-${String(i).padStart(12, '0')}`, cp('9'.repeat(3_000), i)]));
    await store.save('big', many);
    expect(await store.load('big')).toEqual(many);
    expect(queries).toBeGreaterThan(1);
  }, 180_000); // 400 UpdateItems of 3 KB and paged Queries to dynalite: tens of seconds on a loaded machine

  it('should find an existing table, and end the source with a clear error when the table is missing', async () => {
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'existing',
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
    const existing = dynamoDbCheckpointStore({ client: dynamo, tableName: 'existing', createTable: true });
    await existing.save('s', new Map([['shard', cp('1')]]));
    expect(await existing.load('s')).toEqual(new Map([['shard', cp('1')]]));

    const missing = dynamoDbCheckpointStore({ client: dynamo, tableName: 'missing' });
    const error = await lastValueFrom(fromKinesisStream({ client: kinesis, streamName: 's', checkpointStore: missing })).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(KinesisSourceError);
    expect(error).toMatchObject({ operation: 'CheckpointStore.load', code: 'ResourceNotFoundException' });
  });

  it('should checkpoint a Kinesis stream read by fromKinesisStream, and resume from it', async () => {
    await createStream(kinesis, 'dyn', 2);
    const put = await putRecords(
      kinesis,
      'dyn',
      Array.from({ length: 30 }, (_, i) => ({ Data: Buffer.from(`r${i}`), PartitionKey: `k${i}` })),
    );
    const store = dynamoDbCheckpointStore({ client: dynamo, tableName: 'app', createTable: true });
    const stop = new AbortController();
    let stopped = false;
    let read = 0;
    fromKinesisStream({
      client: kinesis,
      streamName: 'dyn',
      startingPosition: 'TRIM_HORIZON',
      checkpointStore: store,
      pollIntervalMs: 200,
      signal: stop.signal,
      onStopped: () => (stopped = true),
    }).subscribe((r) => {
      read++;
      settleRecord(r, 'delivered');
    });
    await waitFor(() => read === 30, 'all records');
    stop.abort();
    await waitFor(() => stopped, 'final checkpoints');
    const saved = await store.load('dyn');
    for (const shardId of new Set(put.map((p) => p.shardId)))
      expect(saved.get(shardId)?.sequenceNumber).toBe(put.filter((p) => p.shardId === shardId).at(-1)!.sequenceNumber);

    const again: string[] = [];
    const stopAgain = new AbortController();
    fromKinesisStream({
      client: kinesis,
      streamName: 'dyn',
      startingPosition: 'TRIM_HORIZON',
      checkpointStore: store,
      pollIntervalMs: 200,
      signal: stopAgain.signal,
    }).subscribe((r) => again.push(new TextDecoder().decode(r.data)));
    await putRecords(kinesis, 'dyn', [{ Data: Buffer.from('new'), PartitionKey: 'k' }]);
    await waitFor(() => again.length === 1, 'the new record');
    expect(again).toEqual(['new']);
    stopAgain.abort();
  });

  it('should refuse invalid options', () => {
    expect(() => dynamoDbCheckpointStore({ client: dynamo, tableName: 'a' })).toThrow(
      'dynamoDbCheckpointStore: tableName must be a DynamoDB table name: 3–255 characters of [a-zA-Z0-9_.-]; got "a"',
    );
    expect(() => dynamoDbCheckpointStore({ client: {} as never, tableName: 'abc' })).toThrow(InvalidOptionError);
  });
});
