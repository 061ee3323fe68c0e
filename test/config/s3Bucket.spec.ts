import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig, type LocalTransformation } from '../../src/index.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../support/radosgw.js';
import { useDuckDb } from '../processing/parquet/readParquet.js';
import { filesUnder, recordsOf, s3Config, useDataDir } from './support.js';

const duck = useDuckDb();

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

// Parquet objects through the real S3 server: downloaded, then read back by DuckDB (its httpfs extension is
// not installable offline, so DuckDB reads the downloaded bytes).
describe('deliveryStreamFromConfig: Parquet objects in S3 (DataFormatConversionConfiguration)', () => {
  const dir = useDataDir();

  it('should put one Parquet object per JQ partition in the bucket, and records that do not convert under format-conversion-failed/', async () => {
    const config = s3Config({
      Prefix: 'rides/city=!{partitionKeyFromQuery:city}/',
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      DynamicPartitioningConfiguration: { Enabled: true },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'MetadataExtraction',
            Parameters: [
              { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{city: .city}' },
              { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
            ],
          },
        ],
      },
      DataFormatConversionConfiguration: {
        Enabled: true,
        SchemaConfiguration: {
          Columns: [
            { Name: 'city', Type: 'string' },
            { Name: 'km', Type: 'double' },
            { Name: 'at', Type: 'timestamp' },
          ],
        },
        OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'GZIP' } } },
      },
    });
    const lines = [
      '{"city":"Lyon","km":3.5,"at":"2026-12-02T08:00:00Z"}',
      '{"city":"Oslo","km":12,"at":1764662400000}',
      '{"city":"Lyon","km":"far"}',
      '{"city":"Lyon","km":0.25}',
    ];
    const stream = deliveryStreamFromConfig(config, { dataDir: dir.path, s3Client: s3, records: recordsOf(lines) });
    await stream.loaded;
    expect(await stream.done).toMatchObject({ deliveredRecords: 3, errorOutputRecords: 1 });

    const rides = await objects('rides/');
    expect([...rides.keys()].map((k) => k.replace(/\/[^/]+\.parquet$/, '/….parquet'))).toEqual([
      'rides/city=Lyon/….parquet',
      'rides/city=Oslo/….parquet',
    ]);
    const [lyon, oslo] = await Promise.all([...rides.values()].map((body) => duck.read(body)));
    expect(lyon!.codecs).toEqual(['GZIP']);
    expect(lyon!.rowGroups).toBe(1);
    expect(lyon!.rows).toEqual([
      { city: 'Lyon', km: 3.5, at: new Date('2026-12-02T08:00:00Z') },
      { city: 'Lyon', km: 0.25, at: null },
    ]);
    expect(oslo!.rows).toEqual([{ city: 'Oslo', km: 12, at: new Date(1_764_662_400_000) }]);

    const failed = [...(await objects('errors/format-conversion-failed/')).values()];
    expect(failed).toHaveLength(1);
    const failure = JSON.parse(failed[0]!.toString('utf8')) as { errorCode: string; rawData: string };
    expect(failure.errorCode).toBe('DataFormatConversion.SchemaMismatch');
    expect(Buffer.from(failure.rawData, 'base64').toString('utf8')).toBe('{"city":"Lyon","km":"far"}');
    expect(await filesUnder(`${dir.path}/lake`)).toEqual(new Map()); // the bucket is S3, not the data directory
  });
});
