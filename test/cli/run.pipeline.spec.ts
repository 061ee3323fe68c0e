import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLambdaOffline, type LambdaOffline } from '../support/lambda.js';
import { createStream, putRecords, startKinesalite, kinesisClientFor, type Kinesalite } from '../support/kinesalite.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../support/radosgw.js';
import { runCli } from './runSupport.js';

// rx-firehose run, end to end on real servers: a Kinesis stream (kinesalite) → a Lambda processor invoked
// through the Invoke API (serverless-offline) → S3 (Ceph RADOS Gateway), from a configuration file. The
// first run is stopped with SIGTERM while records are still arriving; the second run resumes from the
// checkpoints in the data directory; every record must be in S3 (at least once).

let kinesalite: Kinesalite;
let lambda: LambdaOffline;
let gateway: RadosGateway;
let s3: S3Client;
let dir: string;

beforeAll(async () => {
  [kinesalite, lambda, gateway] = await Promise.all([startKinesalite(), startLambdaOffline(), startRadosGateway()]);
  s3 = s3ClientFor(gateway);
  await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
  dir = await mkdtemp(join(tmpdir(), 'rx-firehose-run-'));
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  await Promise.all([kinesalite?.stop(), lambda?.stop(), gateway?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function objects(prefix: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: o.Key! }));
      out.set(o.Key!, Buffer.from(await body.Body!.transformToByteArray()));
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return out;
}

describe('rx-firehose run: Kinesis → Lambda → S3 from a configuration file', () => {
  it('should deliver every record across a SIGTERM mid-way and a rerun, serve Firehose metrics, and exit 0', async () => {
    const kinesis = kinesisClientFor(kinesalite.endpoint);
    await createStream(kinesis, 'events', 2);
    const config = {
      DeliveryStreamName: 'events-to-lake',
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/events',
        RoleARN: 'arn:aws:iam::123456789012:role/firehose',
      },
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::123456789012:role/firehose',
        BucketARN: 'arn:aws:s3:::lake',
        Prefix: 'events/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        CompressionFormat: 'GZIP',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 1 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'Lambda',
              Parameters: [
                { ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:123456789012:function:transform' },
                { ParameterName: 'BufferSizeInMBs', ParameterValue: '0.2' },
                { ParameterName: 'BufferIntervalInSeconds', ParameterValue: '1' },
              ],
            },
          ],
        },
      },
    };
    const configFile = join(dir, 'streams.json');
    await writeFile(configFile, JSON.stringify([config], null, 2));
    const args = [
      '--config',
      configFile,
      '--data-dir',
      join(dir, 'data'),
      '--starting-position',
      'TRIM_HORIZON',
      '--kinesis-endpoint',
      kinesalite.endpoint,
      '--lambda-endpoint',
      lambda.endpoint,
      '--s3-endpoint',
      gateway.endpoint,
    ];
    const env = { AWS_ACCESS_KEY_ID: gateway.accessKeyId, AWS_SECRET_ACCESS_KEY: gateway.secretAccessKey, AWS_REGION: 'us-east-1' };
    const batch = (from: number, count: number) =>
      putRecords(
        kinesis,
        'events',
        Array.from({ length: count }, (_, i) => ({
          Data: Buffer.from(JSON.stringify({ n: from + i, customer: `c${(from + i) % 3}` })),
          PartitionKey: `p${from + i}`,
        })),
      );

    await batch(0, 3000);
    const first = runCli([...args, '--metrics-port', '0'], env);
    const metricsUrl = (await first.line(/metrics at http:\/\/127\.0\.0\.1:\d+\/metrics$/)).replace(/.*metrics at /, ''); // loopback only
    await first.line(/^events-to-lake delivered/);
    const exposition = await (await fetch(metricsUrl)).text();
    expect(exposition).toMatch(/^firehose_delivery_to_s3_records_total\{delivery_stream="events-to-lake"\} [1-9]\d*$/m);
    expect(exposition).toMatch(/^firehose_data_read_from_kinesis_stream_records_total\{delivery_stream="events-to-lake"\} [1-9]\d*$/m);
    expect(exposition).toMatch(/^firehose_execute_processing_success_total\{delivery_stream="events-to-lake"\} [1-9]\d*$/m);
    expect(exposition).toMatch(/^firehose_kinesis_millis_behind_latest\{delivery_stream="events-to-lake"\} \d+$/m);
    expect(exposition).toMatch(/^firehose_incoming_records_total\{delivery_stream="events-to-lake"\} [1-9]\d*$/m);
    // More records while the first run is working, then SIGTERM: it drains what it read and saves checkpoints.
    await batch(3000, 3000);
    first.kill('SIGTERM');
    const one = await first.done;
    expect(one.stderr).toMatch(/SIGTERM: stopped reading, draining/);
    expect(one.stderr).toMatch(/^done: events-to-lake: \d+ records in, \d+ delivered .*, 0 to the error output/m);
    expect(one.code).toBe(0);

    await batch(6000, 1000);
    const second = runCli(args, env);
    // Stop once everything is in S3 (the second run may deliver some records again: at least once).
    const wanted = 7000;
    const seen = new Set<number>();
    const collect = async (): Promise<void> => {
      for (const body of (await objects('events/')).values()) {
        for (const line of gunzipSync(body).toString().split('\n').filter(Boolean)) {
          const record = JSON.parse(line) as { n: number; transformed: boolean };
          expect(record.transformed).toBe(true);
          seen.add(record.n);
        }
      }
    };
    // Each delivery line is printed once its object is in S3: look at S3 again after each new one.
    for (let lines = 1; seen.size < wanted; lines++) {
      await second.lines(/^events-to-lake delivered/, lines);
      await collect();
    }
    second.kill('SIGTERM');
    const two = await second.done;
    expect(two.code).toBe(0);
    await collect();
    expect(seen.size).toBe(wanted); // nothing lost
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(wanted - 1);
    expect((await objects('errors/')).size).toBe(0);
    kinesis.destroy();
  }, 180_000);
});
