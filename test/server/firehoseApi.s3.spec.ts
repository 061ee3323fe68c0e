/**
 * Firehose's API server delivering to a real S3 server (Ceph's RADOS Gateway, installed and started by
 * test/support/radosgw.ts), with the AWS SDK's Firehose client as the producer.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, DeleteDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryStreamRegistry, firehoseApiListener } from '../../src/index.js';
import { listenOnLoopback, type LoopbackServer } from '../support/listenOnLoopback.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../support/radosgw.js';

let gateway: RadosGateway | undefined;
let s3: S3Client;
let dataDir: string;
let registry: DeliveryStreamRegistry;
let server: LoopbackServer;
let firehose: FirehoseClient;

beforeAll(async () => {
  gateway = await startRadosGateway();
  s3 = s3ClientFor(gateway);
  dataDir = await mkdtemp(join(tmpdir(), 'rx-firehose-api-s3-'));
  registry = await DeliveryStreamRegistry.open({ dataDir, environment: { s3Client: s3 } });
  server = await listenOnLoopback(createServer(firehoseApiListener(registry)));
  firehose = new FirehoseClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}, 300_000);

afterAll(async () => {
  firehose?.destroy();
  await server?.stop();
  await registry?.close();
  s3?.destroy();
  await gateway?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('Firehose API server, delivering to S3 (RADOS Gateway)', () => {
  it('should deliver what PutRecordBatch accepted to the bucket, GZIP, with Firehose key names', async () => {
    const bucket = `t-${randomUUID().slice(0, 18)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'to-s3',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          BucketARN: `arn:aws:s3:::${bucket}`,
          CompressionFormat: 'GZIP',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
        },
      }),
    );
    const lines = Array.from({ length: 1200 }, (_, i) => `{"n":${i}}`);
    for (let i = 0; i < lines.length; i += 400) {
      const answer = await firehose.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'to-s3',
          Records: lines.slice(i, i + 400).map((l) => ({ Data: Buffer.from(`${l}\n`) })),
        }),
      );
      expect(answer.FailedPutCount).toBe(0);
    }
    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'to-s3' })); // drains into the bucket

    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!);
    expect(keys.length).toBeGreaterThan(0);
    keys.forEach((k) => expect(k).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/to-s3-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-.+\.gz$/));
    const bodies = await Promise.all(
      keys.map(async (Key) =>
        gunzipSync(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToByteArray()).toString('utf8'),
      ),
    );
    expect(bodies.join('').split('\n').filter(Boolean).sort()).toEqual([...lines].sort());
  }, 120_000);
});
