import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { deliverTo } from '../../operators/index.js';
import {
  decompress,
  directoryDestination,
  InvalidOptionError,
  s3Destination,
  type Compression,
  type FailureRecord,
  type FirehoseRecord,
} from '../../src/index.js';
import { s3ClientFor, startRadosGateway, type RadosGateway } from '../support/radosgw.js';
import { describeDestinationConformance, recordsOf } from './conformance.js';

// A real S3 server: Ceph's RADOS Gateway, installed (apt-get, as root) and started on 127.0.0.1 by the
// test setup itself. See test/support/radosgw.ts.
let gateway: RadosGateway | undefined;
let client: S3Client;

beforeAll(async () => {
  gateway = await startRadosGateway();
  client = s3ClientFor(gateway);
}, 300_000);

afterAll(async () => {
  client?.destroy();
  await gateway?.stop();
});

async function newBucket(): Promise<string> {
  const bucket = `t-${randomUUID().slice(0, 18)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

async function listKeys(bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return keys.sort();
}

async function getBytes(bucket: string, key: string): Promise<Uint8Array> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body!.transformToByteArray();
}

const compressionOf = (key: string): Compression =>
  key.endsWith('.gz')
    ? 'GZIP'
    : key.endsWith('.zip')
      ? 'ZIP'
      : key.endsWith('.hsnappy')
        ? 'HADOOP_SNAPPY'
        : key.endsWith('.snappy')
          ? 'Snappy'
          : 'UNCOMPRESSED';

async function readLines(bucket: string, filter: (key: string) => boolean): Promise<string[]> {
  const lines: string[] = [];
  for (const key of (await listKeys(bucket)).filter(filter)) {
    const text = Buffer.from(await decompress(compressionOf(key), await getBytes(bucket, key))).toString();
    lines.push(...text.split('\n').filter((l) => l !== ''));
  }
  return lines;
}

describeDestinationConformance('s3Destination (RADOS Gateway)', {
  create: async () => {
    const bucket = await newBucket();
    // The real client, with a fault injected on the wire: PutObject of a key marked by failWireOnce fails once with a 500.
    const failing = new Set<string>();
    const faulty = s3ClientFor(gateway!);
    faulty.middlewareStack.add(
      (next) => async (args) => {
        const key = (args.input as { Key?: unknown }).Key;
        if (typeof key === 'string' && failing.delete(key))
          throw Object.assign(new Error('injected on the wire'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
        return next(args);
      },
      { step: 'initialize', name: 'conformanceFaults' },
    );
    const destination = s3Destination({
      client: faulty,
      bucket,
      streamName: 'conformance',
      compression: 'GZIP',
      dynamicPartitioning: true,
      prefix: 'p=!{partitionKeyFromLambda:p}/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    });
    const isFailure = (k: string): boolean => k.startsWith('errors/');
    return {
      destination,
      errorOutput: destination,
      readDelivered: () => readLines(bucket, (k) => !isFailure(k)),
      readFailures: async () => (await readLines(bucket, isFailure)).map((l) => JSON.parse(l) as FailureRecord),
      splitBatch: () => [...recordsOf(3, 0, 'a'), ...recordsOf(3, 3, 'b')],
      failWireOnce: (key) => void failing.add(key),
      close: async () => faulty.destroy(),
    };
  },
});

describe('s3Destination (RADOS Gateway)', () => {
  const at = Date.UTC(2016, 1, 25, 13, 0, 0, 123);
  const record = (data: Uint8Array | string, extra: Partial<FirehoseRecord> = {}): FirehoseRecord => ({
    recordId: randomUUID(),
    data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
    approximateArrivalTimestamp: at,
    ...extra,
  });
  const deliver = (destination: ReturnType<typeof s3Destination<FirehoseRecord>>, batches: FirehoseRecord[][], errorOutput = destination) =>
    lastValueFrom(from(batches).pipe(deliverTo(destination, { errorOutput, backoff: { initialMs: 1 }, retryDurationMs: 50 }), toArray()));

  it("should store each batch at Firehose's key with its exact bytes, and report s3://bucket/key", async () => {
    const bucket = await newBucket();
    const dest = s3Destination<FirehoseRecord>({ client, bucket, streamName: 'clicks', streamVersion: 3 });
    const [result] = await deliver(dest, [[record('{"a":1}\n'), record('{"b":2}\n')]]);
    const keys = await listKeys(bucket);
    expect(keys).toEqual([expect.stringMatching(/^2016\/02\/25\/13\/clicks-3-2016-02-25-13-00-00-[0-9a-f-]{36}$/)]);
    expect(result!.location).toBe(`s3://${bucket}/${keys[0]}`);
    expect(Buffer.from(await getBytes(bucket, keys[0]!)).toString()).toBe('{"a":1}\n{"b":2}\n');
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keys[0]! }));
    expect(head.ContentType).toBe('application/octet-stream');
    expect(head.ContentEncoding).toBeUndefined();
  });

  it.each(['GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'] as const)(
    'should store %s objects that decompress to the records',
    async (compression) => {
      const bucket = await newBucket();
      const dest = s3Destination<FirehoseRecord>({ client, bucket, compression, prefix: 'c/', errorOutputPrefix: 'e/' });
      const records = Array.from({ length: 500 }, (_, i) => record(`{"i":${i},"v":"${randomBytes(8).toString('hex')}"}\n`));
      await deliver(dest, [records]);
      const [key] = await listKeys(bucket);
      expect(key).toMatch(/^c\/2016\/02\/25\/13\/rx-firehose-1-/);
      expect(Buffer.from(await decompress(compression, await getBytes(bucket, key!))).toString()).toBe(
        records.map((r) => Buffer.from(r.data).toString()).join(''),
      );
    },
  );

  it('should upload a large object in parts (multipart) and read it back byte for byte', async () => {
    const bucket = await newBucket();
    const dest = s3Destination<FirehoseRecord>({ client, bucket, multipartThresholdBytes: 5 * 1_048_576, partSizeBytes: 5 * 1_048_576 });
    const chunks = Array.from({ length: 12 }, () => record(randomBytes(1_048_576)));
    await deliver(dest, [chunks]);
    const [key] = await listKeys(bucket);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key! }));
    expect(head.ETag).toMatch(/-3"$/); // a multipart ETag: three parts
    expect(Buffer.compare(Buffer.from(await getBytes(bucket, key!)), Buffer.concat(chunks.map((c) => c.data)))).toBe(0);
  });

  it('should set the content type and encoding it is given', async () => {
    const bucket = await newBucket();
    const dest = s3Destination<FirehoseRecord>({ client, bucket, contentType: 'application/x-ndjson', contentEncoding: 'identity' });
    await deliver(dest, [[record('x')]]);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: (await listKeys(bucket))[0]! }));
    expect([head.ContentType, head.ContentEncoding]).toEqual(['application/x-ndjson', 'identity']);
  });

  it('should write failure records to a custom error prefix with the error output type', async () => {
    const bucket = await newBucket();
    const dest = s3Destination<FirehoseRecord>({
      client,
      bucket,
      prefix: 'p/!{partitionKeyFromLambda:team}/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
      dynamicPartitioning: true,
    });
    const [result] = await deliver(dest, [[record('ok', { partitionKeys: { team: 'red' } }), record('no key')]]);
    expect(result!.status).toBe('failed-to-error-output');
    const keys = await listKeys(bucket);
    expect(keys).toEqual([
      expect.stringMatching(/^errors\/S3-failed\/2016\/02\/25\/rx-firehose-1-/),
      expect.stringMatching(/^p\/red\/rx-firehose-1-/),
    ]);
    const [failure] = (await readLines(bucket, (k) => k.startsWith('errors/'))).map((l) => JSON.parse(l) as FailureRecord);
    expect(failure).toMatchObject({
      errorCode: 'DynamicPartitioning.PartitionKeyError',
      attemptsMade: 1,
      arrivalTimestamp: at,
      rawData: Buffer.from('no key').toString('base64'),
    });
  });

  it('should retry a missing bucket, then send the records to another error output (a directory)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-s3-errors-'));
    try {
      const dest = s3Destination<FirehoseRecord>({ client, bucket: `missing-${randomUUID().slice(0, 8)}` });
      const errors = directoryDestination<FirehoseRecord>({ path: dir, fsync: false });
      const [result] = await lastValueFrom(
        from([[record('lost?')]]).pipe(
          deliverTo(dest, { errorOutput: errors, backoff: { initialMs: 5, jitter: 0 }, retryDurationMs: 30 }),
          toArray(),
        ),
      );
      expect(result).toMatchObject({ status: 'failed-to-error-output', errorCode: 'S3.NoSuchBucket' });
      expect(result!.attempts).toBeGreaterThan(1);
      const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      expect(files).toHaveLength(1);
      const failure = JSON.parse(await readFile(join(files[0]!.parentPath, files[0]!.name), 'utf8')) as FailureRecord;
      expect(failure).toMatchObject({
        errorCode: 'S3.NoSuchBucket',
        attemptsMade: result!.attempts,
        rawData: Buffer.from('lost?').toString('base64'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('should refuse invalid options at the call, naming them', () => {
    const cases: Array<[object, string]> = [
      [{ bucket: 'b-1' }, 's3Destination: client must be an S3Client from @aws-sdk/client-s3; got undefined'],
      [{ client, bucket: 'No_Caps' }, 's3Destination: bucket must be a bucket name'],
      [
        { client, bucket: 'ok-bucket', partSizeBytes: 1024 },
        's3Destination: partSizeBytes must be an integer ≥ 5242880 and ≤ 5368709120 (bytes); got 1024',
      ],
      [
        { client, bucket: 'ok-bucket', serverSideEncryption: 'rot13' },
        "s3Destination: serverSideEncryption must be one of 'AES256', 'aws:kms', 'aws:kms:dsse'; got \"rot13\"",
      ],
      [{ client, bucket: 'ok-bucket', sseKmsKeyId: 'k' }, 's3Destination: sseKmsKeyId must be used only with serverSideEncryption'],
      [{ client, bucket: 'ok-bucket', prefix: '!{timestamp:yyyy}/' }, 's3Destination: errorOutputPrefix must be'],
    ];
    for (const [options, message] of cases) {
      expect(() => s3Destination(options as never)).toThrow(InvalidOptionError);
      expect(() => s3Destination(options as never)).toThrow(message);
    }
  });
});
