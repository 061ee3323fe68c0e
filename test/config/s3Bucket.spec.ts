import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig, type LocalTransformation } from '../../src/index.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../support/radosgw.js';
import { filesUnder, recordsOf, s3Config, useDataDir } from './support.js';

// With an S3 client in the environment, BucketARN is a real bucket (Ceph RADOS Gateway here), with the
// same keys as in the data directory.

let gateway: RadosGateway;
let s3: S3Client;
beforeAll(async () => {
  gateway = await startRadosGateway();
  s3 = s3ClientFor(gateway);
  await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
}, 180_000);
afterAll(async () => {
  s3?.destroy();
  await gateway?.stop();
});

async function objects(prefix: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const page = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: prefix }));
  for (const o of page.Contents ?? []) {
    const body = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: o.Key! }));
    out.set(o.Key!, Buffer.from(await body.Body!.transformToByteArray()));
  }
  return out;
}

describe('deliveryStreamFromConfig: buckets in S3 (an injected client)', () => {
  const dir = useDataDir();

  it('should write objects and failure records to the bucket under Prefix and ErrorOutputPrefix, and nothing to the data directory', async () => {
    const failOdd: LocalTransformation = (event) => ({
      records: event.records.map((r, i) => ({
        recordId: r.recordId,
        result: i % 2 === 0 ? ('Ok' as const) : ('ProcessingFailed' as const),
        data: r.data,
      })),
    });
    const config = s3Config({
      Prefix: 'events/',
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      CompressionFormat: 'GZIP',
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'Lambda',
            Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:123456789012:function:failOdd' }],
          },
          { Type: 'AppendDelimiterToRecord' },
        ],
      },
    });
    const stream = deliveryStreamFromConfig(config, {
      dataDir: dir.path,
      s3Client: s3,
      records: recordsOf(['a', 'b', 'c']),
      lambdaHandlers: { failOdd },
    });
    expect(stream.description).toBe('Direct PUT → Lambda failOdd (local handler) → append \\n → s3://lake/');
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 1 });

    const delivered = await objects('events/');
    expect([...delivered.keys()]).toEqual([expect.stringMatching(/^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/clicks-1-.*\.gz$/)]);
    expect(gunzipSync([...delivered.values()][0]!).toString()).toBe('a\nc\n');
    const failed = await objects('errors/processing-failed/');
    expect(failed.size).toBe(1);
    const failure = JSON.parse(gunzipSync([...failed.values()][0]!).toString()) as { rawData: string };
    expect(Buffer.from(failure.rawData, 'base64').toString()).toBe('b');
    expect((await filesUnder(dir.path)).size).toBe(0);
  });
});
