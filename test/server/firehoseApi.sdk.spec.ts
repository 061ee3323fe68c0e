/**
 * Firehose's API server against a client nobody on the project wrote: the AWS SDK v3's own Firehose client
 * (`@aws-sdk/client-firehose`), with its own serializers and error parsing.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  FirehoseServiceException,
  ListDeliveryStreamsCommand,
  ListTagsForDeliveryStreamCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  TagDeliveryStreamCommand,
  UntagDeliveryStreamCommand,
  type CreateDeliveryStreamCommandInput,
} from '@aws-sdk/client-firehose';
import { afterEach, describe, expect, it } from 'vitest';
import { jqPartitioning } from '../support/jqPartitioning.js';
import {
  DeliveryStreamRegistry,
  firehoseApiListener,
  InvalidOptionError,
  type DeliveryStreamRegistryOptions,
  type FirehoseApiListenerOptions,
} from '../../src/index.js';
import { listenOnLoopback, type LoopbackServer } from '../support/listenOnLoopback.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Served {
  readonly dataDir: string;
  readonly registry: DeliveryStreamRegistry;
  readonly server: LoopbackServer;
  readonly client: FirehoseClient;
}

async function serve(
  options: Omit<DeliveryStreamRegistryOptions, 'dataDir'> & {
    dataDir?: string;
    credentials?: Map<string, string>;
    listener?: FirehoseApiListenerOptions;
    /** Sees each request first (its body events too), then hands it to the API. */
    onRequest?: (req: IncomingMessage) => void;
    clientCredentials?: { accessKeyId: string; secretAccessKey: string };
  } = {},
): Promise<Served> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'rx-firehose-api-')));
  if (options.dataDir === undefined) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const registry = await DeliveryStreamRegistry.open({ ...options, dataDir });
  const api = firehoseApiListener(registry, {
    ...options.listener,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  const server = await listenOnLoopback(
    createServer((req, res) => {
      options.onRequest?.(req);
      api(req, res);
    }),
  );
  const client = new FirehoseClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: options.clientCredentials ?? { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'anything' },
    maxAttempts: 1,
  });
  let closed = false;
  cleanups.push(async () => {
    client.destroy();
    await server.stop();
    if (!closed) await registry.close();
    closed = true;
  });
  return { dataDir, registry, server, client };
}

const s3Stream = (name: string, extra: Partial<CreateDeliveryStreamCommandInput> = {}): CreateDeliveryStreamCommandInput => ({
  DeliveryStreamName: name,
  DeliveryStreamType: 'DirectPut',
  ExtendedS3DestinationConfiguration: {
    RoleARN: 'arn:aws:iam::000000000000:role/firehose',
    BucketARN: 'arn:aws:s3:::lake',
    CompressionFormat: 'GZIP',
    BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
  },
  ...extra,
});

async function errorOf(promise: Promise<unknown>): Promise<FirehoseServiceException> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FirehoseServiceException);
  return err as FirehoseServiceException;
}

/**
 * A raw HTTP/1.1 POST on a connection of its own: its head (`headers`, CRLF-separated lines) now, then whatever
 * body the test writes to `socket`; `answered` resolves with the answer once it is whole, or the connection ends.
 */
function rawRequest(endpoint: string, headers: string): { socket: Socket; answered: Promise<string> } {
  const socket = connect(Number(new URL(endpoint).port), '127.0.0.1');
  let text = '';
  const answered = new Promise<string>((done) => {
    socket.on('data', (d) => {
      text += d;
      if (/\r\n\r\n[\s\S]*\}$/.test(text)) done(text);
    });
    socket.on('close', () => done(text));
  });
  socket.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n${headers}\r\n`);
  return { socket, answered };
}

/** Every record line delivered under `<dataDir>/<bucket>` (gzip files). */
async function deliveredLines(dataDir: string, bucket: string): Promise<string[]> {
  const root = join(dataDir, bucket);
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.gz') && !f.split('/').pop()!.startsWith('.'));
  const texts = await Promise.all(files.map(async (f) => gunzipSync(await readFile(join(root, f))).toString('utf8')));
  return texts.join('').split('\n').filter(Boolean);
}

describe('Firehose API server, with @aws-sdk/client-firehose', () => {
  it('should create, describe, list, put, put a batch and delete (draining into the data directory)', async () => {
    const { client, dataDir } = await serve();
    const created = await client.send(new CreateDeliveryStreamCommand(s3Stream('clicks', { Tags: [{ Key: 'team', Value: 'web' }] })));
    expect(created.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks');

    const { DeliveryStreamDescription: d } = await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'clicks' }));
    expect(d?.DeliveryStreamStatus).toBe('ACTIVE');
    expect(d?.DeliveryStreamType).toBe('DirectPut');
    expect(d?.DeliveryStreamARN).toBe(created.DeliveryStreamARN);
    expect(d?.CreateTimestamp).toBeInstanceOf(Date);
    expect(d?.Destinations?.[0]?.ExtendedS3DestinationDescription?.BucketARN).toBe('arn:aws:s3:::lake');
    expect(d?.Destinations?.[0]?.ExtendedS3DestinationDescription?.CompressionFormat).toBe('GZIP');

    await client.send(new CreateDeliveryStreamCommand(s3Stream('orders')));
    expect(await client.send(new ListDeliveryStreamsCommand({}))).toMatchObject({
      DeliveryStreamNames: ['clicks', 'orders'],
      HasMoreDeliveryStreams: false,
    });
    expect(await client.send(new ListDeliveryStreamsCommand({ Limit: 1 }))).toMatchObject({
      DeliveryStreamNames: ['clicks'],
      HasMoreDeliveryStreams: true,
    });
    expect(await client.send(new ListDeliveryStreamsCommand({ ExclusiveStartDeliveryStreamName: 'clicks' }))).toMatchObject({
      DeliveryStreamNames: ['orders'],
    });

    const one = await client.send(new PutRecordCommand({ DeliveryStreamName: 'clicks', Record: { Data: Buffer.from('{"n":0}\n') } }));
    expect(one.RecordId).toMatch(/^[0-9a-f]+$/);
    expect(one.Encrypted).toBe(false);
    const batch = await client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'clicks',
        Records: Array.from({ length: 500 }, (_, i) => ({ Data: Buffer.from(`{"n":${i + 1}}\n`) })),
      }),
    );
    expect(batch.FailedPutCount).toBe(0);
    expect(batch.RequestResponses).toHaveLength(500);
    expect(new Set(batch.RequestResponses!.map((r) => r.RecordId)).size).toBe(500);

    await client.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'clicks' }));
    // Deleting drained the stream: every record is in the data directory, and the stream and its log are gone.
    expect((await deliveredLines(dataDir, 'lake')).sort()).toEqual(Array.from({ length: 501 }, (_, n) => `{"n":${n}}`).sort());
    expect(await client.send(new ListDeliveryStreamsCommand({}))).toMatchObject({ DeliveryStreamNames: ['orders'] });
    await expect(stat(join(dataDir, '.rx-firehose', 'wal', 'clicks'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('should tag, list tags and untag', async () => {
    const { client } = await serve();
    await client.send(new CreateDeliveryStreamCommand(s3Stream('tagged', { Tags: [{ Key: 'b', Value: '2' }] })));
    await client.send(
      new TagDeliveryStreamCommand({
        DeliveryStreamName: 'tagged',
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'c', Value: '3' },
        ],
      }),
    );
    expect(await client.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'tagged' }))).toMatchObject({
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
        { Key: 'c', Value: '3' },
      ],
      HasMoreTags: false,
    });
    expect(
      await client.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'tagged', ExclusiveStartTagKey: 'a', Limit: 1 })),
    ).toMatchObject({ Tags: [{ Key: 'b', Value: '2' }], HasMoreTags: true });
    await client.send(new UntagDeliveryStreamCommand({ DeliveryStreamName: 'tagged', TagKeys: ['b'] }));
    expect((await client.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'tagged' }))).Tags?.map((t) => t.Key)).toEqual([
      'a',
      'c',
    ]);
    const tooMany = await errorOf(
      client.send(
        new TagDeliveryStreamCommand({
          DeliveryStreamName: 'tagged',
          Tags: Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })),
        }),
      ),
    );
    expect(tooMany.name).toBe('LimitExceededException');
    expect(tooMany.$metadata.httpStatusCode).toBe(400);
  });

  it("should answer each of Firehose's error types with its shape", async () => {
    const { client } = await serve({ maxDeliveryStreams: 2 });
    await client.send(new CreateDeliveryStreamCommand(s3Stream('a')));

    const missing = await errorOf(client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'nope' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toMatch(/nope .*not found/);
    expect(
      (await errorOf(client.send(new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: Buffer.from('x') } })))).name,
    ).toBe('ResourceNotFoundException');

    const inUse = await errorOf(client.send(new CreateDeliveryStreamCommand(s3Stream('a'))));
    expect(inUse.name).toBe('ResourceInUseException');

    const badName = await errorOf(client.send(new CreateDeliveryStreamCommand(s3Stream('bad name!'))));
    expect(badName.name).toBe('InvalidArgumentException');
    const badConfig = await errorOf(
      client.send(
        new CreateDeliveryStreamCommand({
          ...s3Stream('b'),
          ExtendedS3DestinationConfiguration: {
            RoleARN: 'arn:aws:iam::000000000000:role/firehose',
            BucketARN: 'arn:aws:s3:::lake',
            BufferingHints: { SizeInMBs: 500, IntervalInSeconds: 60 },
          },
        }),
      ),
    );
    expect(badConfig.name).toBe('InvalidArgumentException');
    expect(badConfig.message).toMatch(/BufferingHints\.SizeInMBs/);
    // A check that runs while the stream loads (jq compiles its query) refuses CreateDeliveryStream too.
    const badQuery = await errorOf(
      client.send(
        new CreateDeliveryStreamCommand({
          ...s3Stream('b'),
          ExtendedS3DestinationConfiguration: {
            RoleARN: 'arn:aws:iam::000000000000:role/firehose',
            BucketARN: 'arn:aws:s3:::lake',
            ...jqPartitioning('customer', '{customer: .customer'),
          },
        }),
      ),
    );
    expect(badQuery.name).toBe('InvalidArgumentException');
    expect(badQuery.message).toMatch(/ParameterValue must be a jq filter that compiles/);
    expect((await errorOf(client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'b' })))).name).toBe(
      'ResourceNotFoundException',
    );
    const tooBig = await errorOf(
      client.send(new PutRecordCommand({ DeliveryStreamName: 'a', Record: { Data: new Uint8Array(1_024_001) } })),
    );
    expect(tooBig.name).toBe('InvalidArgumentException');
    const tooMany = await errorOf(
      client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: 'a', Records: Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') })) }),
      ),
    );
    expect(tooMany.name).toBe('InvalidArgumentException');

    await client.send(new CreateDeliveryStreamCommand(s3Stream('c')));
    const limit = await errorOf(client.send(new CreateDeliveryStreamCommand(s3Stream('d'))));
    expect(limit.name).toBe('LimitExceededException');
  });

  it('should throttle with ServiceUnavailableException "Slow down." per record while the budget is full', async () => {
    // Records wait in a 128 MiB / 900 s buffer: nothing settles, so a 4 MiB budget fills up.
    const { client, registry, dataDir } = await serve({ maxInFlightBytes: 4 * 1_048_576 });
    await client.send(
      new CreateDeliveryStreamCommand({
        ...s3Stream('slow'),
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          BucketARN: 'arn:aws:s3:::slow-lake',
          CompressionFormat: 'GZIP',
          BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 900 },
        },
      }),
    );
    const record = { Data: new Uint8Array(1_000_000).fill(0x41) };
    const first = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'slow', Records: [record, record, record, record] }));
    expect(first.FailedPutCount).toBe(0);
    const second = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'slow', Records: [record, record, record] }));
    expect(second.FailedPutCount).toBe(2);
    expect(second.RequestResponses?.[0]?.RecordId).toBeDefined();
    expect(second.RequestResponses?.slice(1)).toEqual([
      { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
      { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
    ]);
    const single = await errorOf(client.send(new PutRecordCommand({ DeliveryStreamName: 'slow', Record: record })));
    expect(single.name).toBe('ServiceUnavailableException');
    expect(single.message).toBe('Slow down.');
    expect(single.$metadata.httpStatusCode).toBe(503);
    // Shutting down delivers the 5 accepted records, and answers later requests ServiceUnavailableException.
    await registry.close();
    const closing = await errorOf(client.send(new PutRecordCommand({ DeliveryStreamName: 'slow', Record: { Data: Buffer.from('x') } })));
    expect(closing.name).toBe('ServiceUnavailableException');
    const root = join(dataDir, 'slow-lake');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.gz'));
    const bytes = (await Promise.all(files.map(async (f) => gunzipSync(await readFile(join(root, f))).byteLength))).reduce(
      (a, b) => a + b,
      0,
    );
    expect(bytes).toBe(5_000_000);
  });

  it('should keep streams created through the API across a restart', async () => {
    const first = await serve();
    await first.client.send(new CreateDeliveryStreamCommand(s3Stream('kept', { Tags: [{ Key: 'k', Value: 'v' }] })));
    await first.client.send(new PutRecordCommand({ DeliveryStreamName: 'kept', Record: { Data: Buffer.from('before\n') } }));
    await first.registry.close();
    const second = await serve({ dataDir: first.dataDir });
    expect((await second.client.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames).toEqual(['kept']);
    expect((await second.client.send(new ListTagsForDeliveryStreamCommand({ DeliveryStreamName: 'kept' }))).Tags).toEqual([
      { Key: 'k', Value: 'v' },
    ]);
    await second.client.send(new PutRecordCommand({ DeliveryStreamName: 'kept', Record: { Data: Buffer.from('after\n') } }));
    await second.client.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'kept' }));
    expect((await deliveredLines(first.dataDir, 'lake')).sort()).toEqual(['after', 'before']);
  });

  it('should verify SigV4 signatures with --credentials, and refuse wrong or missing ones', async () => {
    const credentials = new Map([['AKIDGOOD', 'the-right-secret']]);
    const good = await serve({ credentials, clientCredentials: { accessKeyId: 'AKIDGOOD', secretAccessKey: 'the-right-secret' } });
    await good.client.send(new CreateDeliveryStreamCommand(s3Stream('signed')));
    expect(
      (await good.client.send(new PutRecordCommand({ DeliveryStreamName: 'signed', Record: { Data: Buffer.from('ok\n') } }))).RecordId,
    ).toBeDefined();

    const wrongSecret = new FirehoseClient({
      endpoint: good.server.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDGOOD', secretAccessKey: 'a-wrong-secret' },
      maxAttempts: 1,
    });
    const unknownKey = new FirehoseClient({
      endpoint: good.server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'the-right-secret' },
      maxAttempts: 1,
    });
    cleanups.push(async () => (wrongSecret.destroy(), unknownKey.destroy()));
    const bad = await errorOf(wrongSecret.send(new ListDeliveryStreamsCommand({})));
    expect(bad.name).toBe('InvalidSignatureException');
    expect(bad.$metadata.httpStatusCode).toBe(403);
    expect(bad.message).not.toMatch(/right-secret|wrong-secret/);
    expect((await errorOf(unknownKey.send(new ListDeliveryStreamsCommand({})))).name).toBe('UnrecognizedClientException');

    const unsigned = await fetch(good.server.endpoint, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'Firehose_20150804.ListDeliveryStreams', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });

    // Refused on their headers alone: the server answers before a byte of their 5 MB bodies is sent.
    const target = 'X-Amz-Target: Firehose_20150804.PutRecordBatch\r\nContent-Length: 5000000\r\n';
    const noSignature = rawRequest(good.server.endpoint, target);
    const otherKey = rawRequest(
      good.server.endpoint,
      `${target}X-Amz-Date: 20261203T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDOTHER/20261203/us-east-1/firehose/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}\r\n`,
    );
    cleanups.push(async () => (noSignature.socket.destroy(), otherKey.socket.destroy()));
    expect(await noSignature.answered).toMatch(/^HTTP\/1\.1 403 [\s\S]*"__type":"MissingAuthenticationTokenException"/);
    expect(await otherKey.answered).toMatch(/^HTTP\/1\.1 403 [\s\S]*"__type":"UnrecognizedClientException"/);
  });

  it("should answer malformed requests with Firehose's error shape, and go on serving", async () => {
    const { server, client } = await serve();
    await client.send(new CreateDeliveryStreamCommand(s3Stream('m')));
    const post = (target: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
      fetch(server.endpoint, {
        method: 'POST',
        headers: { 'X-Amz-Target': target, 'Content-Type': 'application/x-amz-json-1.1', ...headers },
        body,
      });

    const notJson = await post('Firehose_20150804.PutRecord', '{"DeliveryStreamName":');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ __type: 'SerializationException', message: expect.any(String) });
    const notObject = await post('Firehose_20150804.PutRecord', '[1,2]');
    expect(await notObject.json()).toMatchObject({ __type: 'SerializationException' });
    const badBase64 = await post(
      'Firehose_20150804.PutRecord',
      JSON.stringify({ DeliveryStreamName: 'm', Record: { Data: 'no*base64!' } }),
    );
    expect(await badBase64.json()).toMatchObject({ __type: 'SerializationException', message: expect.stringMatching(/base64/) });
    const noRecords = await post('Firehose_20150804.PutRecordBatch', JSON.stringify({ DeliveryStreamName: 'm', Records: 'x' }));
    expect(await noRecords.json()).toMatchObject({ __type: 'InvalidArgumentException' });
    const unknown = await post('Firehose_20150804.StartDeliveryStreamEncryption', '{}');
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const noTarget = await post('', '{}');
    expect(await noTarget.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const proto = await post('Firehose_20150804.__proto__', '{}');
    expect(await proto.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const huge = await post('Firehose_20150804.PutRecordBatch', new Uint8Array(9 * 1_048_576).fill(0x20));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ __type: 'InvalidArgumentException' });
    const get = await fetch(server.endpoint);
    expect(await get.json()).toMatchObject({ __type: 'UnknownOperationException' });
    // Still serving.
    expect(
      (await client.send(new PutRecordCommand({ DeliveryStreamName: 'm', Record: { Data: Buffer.from('fine\n') } }))).RecordId,
    ).toBeDefined();
  });
  it('should bound the request bodies held at once: past maxConcurrentBodyBytes, "Slow down." and the connection closed; room again once answered', async () => {
    const MIB = 1_048_576;
    let firstBodyBytes = 0;
    let heldEnough: () => void = () => undefined;
    const firstHeld = new Promise<void>((done) => (heldEnough = done));
    const { server, client } = await serve({
      listener: { maxBodyBytes: 4 * MIB, maxConcurrentBodyBytes: 6 * MIB },
      // Counts what the server has read of the first request's body (the test goes on when it has 3 MB).
      onRequest: (req) => {
        if (req.headers['x-test'] !== 'first') return;
        req.on('data', (chunk: Buffer) => {
          firstBodyBytes += chunk.length;
          if (firstBodyBytes >= 3_000_000) heldEnough();
        });
      },
    });
    await client.send(new CreateDeliveryStreamCommand(s3Stream('bounded')));
    const raw = (headers: string) => rawRequest(server.endpoint, headers);

    // The first request sends 3 MB of its 4,000,000-byte body, and waits.
    const first = raw('X-Amz-Target: Firehose_20150804.ListDeliveryStreams\r\nX-Test: first\r\nContent-Length: 4000000\r\n');
    first.socket.write(Buffer.alloc(3_000_000, 0x20));
    await firstHeld;
    // A second that would pass 6 MiB beside it is refused before any of its body is read, and closed.
    const second = raw('X-Amz-Target: Firehose_20150804.PutRecordBatch\r\nContent-Length: 3500000\r\n');
    const refusal = await second.answered;
    expect(refusal).toMatch(/^HTTP\/1\.1 503 /);
    expect(refusal).toMatch(/x-amzn-ErrorType: ServiceUnavailableException/i);
    expect(refusal).toMatch(/Connection: close/i);
    expect(JSON.parse(refusal.slice(refusal.indexOf('\r\n\r\n') + 4))).toEqual({
      __type: 'ServiceUnavailableException',
      message: `Slow down. The server holds ${6 * MIB} bytes of request bodies at most and is full; retry later.`,
    });
    second.socket.destroy();
    // The first goes on to its answer; then what it held is free again.
    first.socket.write(`${' '.repeat(999_998)}{}`);
    expect(await first.answered).toMatch(/^HTTP\/1\.1 200 [\s\S]*"DeliveryStreamNames":\["bounded"\]/);
    first.socket.destroy();
    const batch = Array.from({ length: 3 }, (_, i) => ({ Data: Buffer.alloc(1_000_000, 0x61 + i) })); // ≈ 4 MB of JSON
    expect((await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'bounded', Records: batch }))).FailedPutCount).toBe(0);

    const { registry } = await serve();
    expect(() => firehoseApiListener(registry, { maxConcurrentBodyBytes: 4 * MIB })).toThrow(InvalidOptionError);
    expect(() => firehoseApiListener(registry, { maxConcurrentBodyBytes: 4 * MIB })).toThrow(
      `firehoseApiListener: maxConcurrentBodyBytes must be an integer ≥ ${8 * MIB} (bytes, at least maxBodyBytes); got ${4 * MIB}`,
    );
  });
});
