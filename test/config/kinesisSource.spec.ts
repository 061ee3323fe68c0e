import { readFile } from 'node:fs/promises';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { filter, firstValueFrom, scan } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliveryStreamFromConfig,
  type DeliveryStream,
  type FirehoseTransformationEvent,
  type LocalTransformation,
} from '../../src/index.js';
import { dynamoDbClientFor, startDynalite, type Dynalite } from '../support/dynalite.js';
import { createStream, putRecords, useKinesalite } from '../support/kinesalite.js';
import { filesUnder, textOf, useDataDir } from './support.js';

function kinesisConfig(stream: string, name = 'from-kinesis', extra: Record<string, unknown> = {}): any {
  return {
    DeliveryStreamName: name,
    DeliveryStreamType: 'KinesisStreamAsSource',
    KinesisStreamSourceConfiguration: {
      KinesisStreamARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${stream}`,
      RoleARN: 'arn:aws:iam::123456789012:role/firehose',
    },
    ExtendedS3DestinationConfiguration: {
      RoleARN: 'arn:aws:iam::123456789012:role/firehose',
      BucketARN: 'arn:aws:s3:::lake',
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
      ...extra,
    },
  };
}

/** Resolves once the stream delivered `count` records. */
function delivered(stream: DeliveryStream, count: number): Promise<unknown> {
  return firstValueFrom(
    stream.results.pipe(
      filter((r) => r.stage === 'destination'),
      scan((n, r) => n + r.records.length - r.failed.length, 0),
      filter((n) => n >= count),
    ),
  );
}

const put = (client: Parameters<typeof putRecords>[0], stream: string, lines: string[]) =>
  putRecords(
    client,
    stream,
    lines.map((l, i) => ({ Data: Buffer.from(l), PartitionKey: `k${i}` })),
  );

describe('deliveryStreamFromConfig: KinesisStreamAsSource', () => {
  const kinesis = useKinesalite();
  const dir = useDataDir();
  let dynalite: Dynalite | undefined;
  beforeAll(async () => {
    dynalite = await startDynalite();
  });
  afterAll(async () => {
    await dynalite?.stop();
  });

  it('should read KinesisStreamARN, send sourceKinesisStreamArn to the Lambda processor, checkpoint in <dataDir>, and resume there', async () => {
    await createStream(kinesis.client, 'clicks', 2);
    const events: FirehoseTransformationEvent[] = [];
    const tag: LocalTransformation = (event) => {
      events.push(event);
      return {
        records: event.records.map((r) => ({
          recordId: r.recordId,
          result: 'Ok' as const,
          data: Buffer.from(`${Buffer.from(r.data, 'base64').toString()}\n`).toString('base64'),
        })),
      };
    };
    const config = kinesisConfig('clicks', 'from-kinesis', {
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'Lambda',
            Parameters: [
              { ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:123456789012:function:tag' },
              { ParameterName: 'BufferIntervalInSeconds', ParameterValue: '0' },
            ],
          },
        ],
      },
    });
    const environment = {
      dataDir: dir.path,
      kinesisClient: kinesis.client,
      lambdaHandlers: { tag },
      kinesisStartingPosition: 'TRIM_HORIZON' as const,
    };

    await put(kinesis.client, 'clicks', ['r1', 'r2', 'r3']);
    const first = deliveryStreamFromConfig(config, environment);
    expect(first.description).toBe('Kinesis stream clicks → Lambda tag (local handler) → ' + `${dir.path}/lake`);
    await delivered(first, 3);
    const one = await first.stop();
    expect(one).toMatchObject({ deliveredRecords: 3, errorOutputRecords: 0 });
    expect(events[0]!.sourceKinesisStreamArn).toBe('arn:aws:kinesis:us-east-1:123456789012:stream/clicks');
    expect(events[0]!.records[0]!.kinesisRecordMetadata).toMatchObject({ partitionKey: expect.stringMatching(/^k\d$/) });
    const checkpoints = JSON.parse(await readFile(`${dir.path}/_checkpoints/from-kinesis.json`, 'utf8')) as {
      streams: Record<string, unknown>;
    };
    expect(Object.keys(checkpoints.streams)).toEqual(['clicks']);

    await put(kinesis.client, 'clicks', ['r4']);
    const second = deliveryStreamFromConfig(config, environment);
    await delivered(second, 1);
    expect(await second.stop()).toMatchObject({ deliveredRecords: 1 });
    const lines = textOf(await filesUnder(`${dir.path}/lake`))
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(lines).toEqual(['r1', 'r2', 'r3', 'r4']); // each once: the second run resumed after the checkpoints
  });

  it('should start at LATEST by default, as Firehose', async () => {
    await createStream(kinesis.client, 'latest', 1);
    await put(kinesis.client, 'latest', ['old']);
    // KinesisMillisBehindLatest is reported after each GetRecords: once it is, the shard is read from LATEST.
    let firstRead: () => void = () => undefined;
    const reading = new Promise<void>((resolve) => (firstRead = resolve));
    const stream = deliveryStreamFromConfig(kinesisConfig('latest', 'latest'), {
      dataDir: dir.path,
      kinesisClient: kinesis.client,
      metrics: (name) => name === 'KinesisMillisBehindLatest' && firstRead(),
    });
    await reading;
    await put(kinesis.client, 'latest', ['new']);
    await delivered(stream, 1);
    expect(await stream.stop()).toMatchObject({ deliveredRecords: 1 });
    expect(textOf(await filesUnder(`${dir.path}/lake`))).toBe('new');
  });

  it('should keep leases and checkpoints in DynamoDB when the environment has a DynamoDB client, keyed by delivery stream', async () => {
    await createStream(kinesis.client, 'ddb', 1);
    await put(kinesis.client, 'ddb', ['d1', 'd2']);
    const dynamoDbClient = dynamoDbClientFor(dynalite!.endpoint);
    const stream = deliveryStreamFromConfig(kinesisConfig('ddb', 'ddb-stream'), {
      dataDir: dir.path,
      kinesisClient: kinesis.client,
      dynamoDbClient,
      checkpointTable: 'checkpoints',
      kinesisStartingPosition: 'TRIM_HORIZON',
    });
    await delivered(stream, 2);
    await stream.stop();
    const items = await dynamoDbClient.send(
      new QueryCommand({
        TableName: 'checkpoints',
        KeyConditionExpression: 'streamName = :s',
        ExpressionAttributeValues: { ':s': { S: 'ddb-stream/ddb' } },
        ConsistentRead: true,
      }),
    );
    expect(items.Items).toHaveLength(1);
    // The shard's lease, released on stop, with the checkpoint of the last record.
    expect(items.Items![0]).toMatchObject({ leaseCounter: { N: expect.any(String) }, checkpoint: { S: expect.stringMatching(/^\d+$/) } });
    expect(items.Items![0]!['leaseOwner']).toBeUndefined();
    await expect(readFile(`${dir.path}/_checkpoints/ddb-stream.json`)).rejects.toThrow(/ENOENT/);
    dynamoDbClient.destroy();
  });

  it('should take its leases as environment.kinesisLeases.workerId, and refuse lease options out of range or without DynamoDB', async () => {
    await createStream(kinesis.client, 'ddb-worker', 1);
    await put(kinesis.client, 'ddb-worker', ['w1']);
    const dynamoDbClient = dynamoDbClientFor(dynalite!.endpoint);
    const environment = { dataDir: dir.path, kinesisClient: kinesis.client, dynamoDbClient, checkpointTable: 'checkpoints' };
    const stream = deliveryStreamFromConfig(kinesisConfig('ddb-worker', 'ddb-worker-stream'), {
      ...environment,
      kinesisStartingPosition: 'TRIM_HORIZON',
      kinesisLeases: { workerId: 'host-a', leaseDurationMs: 5_000, maxLeasesPerWorker: 1 },
    });
    await delivered(stream, 1);
    const held = await dynamoDbClient.send(
      new QueryCommand({
        TableName: 'checkpoints',
        KeyConditionExpression: 'streamName = :s',
        ExpressionAttributeValues: { ':s': { S: 'ddb-worker-stream/ddb-worker' } },
        ConsistentRead: true,
      }),
    );
    expect(held.Items?.map((item) => item['leaseOwner'])).toEqual([{ S: 'host-a' }]);
    await stream.stop();

    expect(() => deliveryStreamFromConfig(kinesisConfig('x'), { ...environment, kinesisLeases: { leaseDurationMs: 10 } })).toThrow(
      /^environment\.kinesisLeases\.leaseDurationMs must be an integer ≥ 1000 and ≤ 3600000 \(ms\); got 10$/,
    );
    expect(() =>
      deliveryStreamFromConfig(kinesisConfig('x'), { dataDir: dir.path, kinesisClient: kinesis.client, kinesisLeases: { workerId: 'a' } }),
    ).toThrow(/^environment\.kinesisLeases must be absent without a DynamoDB client or endpoint/);
    dynamoDbClient.destroy();
  });

  it('should refuse a KinesisStreamARN that is not one, and a source configuration of the other type', () => {
    const bad = kinesisConfig('x');
    bad.KinesisStreamSourceConfiguration.KinesisStreamARN = 'clicks';
    expect(() => deliveryStreamFromConfig(bad, { dataDir: dir.path, kinesisClient: kinesis.client })).toThrow(
      /^KinesisStreamSourceConfiguration\.KinesisStreamARN must be a Kinesis stream ARN/,
    );
    const mixed = { ...kinesisConfig('x'), DirectPutSourceConfiguration: { ThroughputHintInMBs: 1 } };
    expect(() => deliveryStreamFromConfig(mixed, { dataDir: dir.path, kinesisClient: kinesis.client })).toThrow(
      /^DirectPutSourceConfiguration must be absent/,
    );
    const missing = { ...kinesisConfig('x'), KinesisStreamSourceConfiguration: undefined };
    expect(() => deliveryStreamFromConfig(missing, { dataDir: dir.path })).toThrow(/^KinesisStreamSourceConfiguration must be present/);
  });
});
