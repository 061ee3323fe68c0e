import { Agent as HttpsAgent } from 'node:https';
import { createServer, type Socket } from 'node:net';
import { lastValueFrom, from, VirtualTimeScheduler, type ObservableInput } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { BuiltRequest, DeliveryAttempt, SendOutcome } from '../../../src/destinations/Destination.js';
import { firehoseDocumentId } from '../../../src/destinations/opensearch/firehoseDocumentId.js';
import {
  openSearchDestination,
  type BulkRequest,
  type OpenSearchDestination,
  type OpenSearchDestinationOptions,
} from '../../../src/destinations/opensearch/index.js';
import { DeliveryError, type FirehoseRecord } from '../../../src/index.js';
import { describeDomainTestDouble } from '../../support/describeDomainTestDouble.js';
import type { OpenSearchBulkServer } from '../../support/openSearchBulkServer.js';
import { selfSignedCertificate } from '../../receivers/http/support.js';
import { testResources } from './support.js';

const { start, onCleanup } = testResources();

const ARRIVAL = Date.parse('2016-02-25T13:00:00Z');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const recordsOf = (n: number, doc: (i: number) => string = (i) => `{"n":${i}}`): FirehoseRecord[] =>
  Array.from({ length: n }, (_, i) => ({ recordId: `r${i}`, data: text(doc(i)), approximateArrivalTimestamp: ARRIVAL + i }));

const scheduler = new VirtualTimeScheduler();
const attempt = (n = 1, s = scheduler): DeliveryAttempt => ({
  attempt: n,
  batchId: 'batch-1',
  scheduler: s,
  signal: new AbortController().signal,
});
const first = <T>(input: ObservableInput<T> | T): Promise<T> =>
  typeof input === 'object' && input !== null && ('then' in input || Symbol.observable in input || 'subscribe' in input)
    ? lastValueFrom(from(input as ObservableInput<T>))
    : Promise.resolve(input as T);
const build = (d: OpenSearchDestination, batch: readonly unknown[]): Promise<BuiltRequest<BulkRequest>> =>
  first(d.build(batch, { batchId: 'batch-1', scheduler, signal: new AbortController().signal }));
const send = (d: OpenSearchDestination, request: BulkRequest, n = 1): Promise<SendOutcome<BulkRequest>> =>
  lastValueFrom(from(d.send(request, attempt(n))));
const destination = (s: OpenSearchBulkServer, options: Partial<OpenSearchDestinationOptions> = {}): OpenSearchDestination =>
  openSearchDestination({ endpoint: s.endpoint, indexName: 'logs', ...options });
const rejection = async (p: Promise<unknown>): Promise<DeliveryError> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('resolved');
};

describe('openSearchDestination', () => {
  it('should be named for Firehose’s metrics and error output, with its buffering and retry defaults', () => {
    const d = openSearchDestination({ endpoint: 'http://127.0.0.1:9', indexName: 'logs' });
    expect([d.name, d.errorOutputType, d.retryDurationMs, d.recommendedBuffering, d.backupMode]).toEqual([
      'AmazonOpenSearchService',
      'AmazonOpenSearchService-failed',
      300_000,
      { maxBytes: 5 * 1_048_576, maxMs: 300_000 },
      'FailedDocumentsOnly',
    ]);
    expect(openSearchDestination({ endpoint: 'http://127.0.0.1:9', indexName: 'logs', flavour: 'Elasticsearch' })).toMatchObject({
      name: 'Elasticsearch',
      errorOutputType: 'elasticsearch-failed',
    });
  });

  it('should index each record as a document of the rotated index, with Firehose’s id, and be accepted', async () => {
    const s = await start();
    const d = destination(s);
    const batch = recordsOf(3);
    const { request } = await build(d, batch);
    const outcome = await send(d, request!);
    expect(outcome).toEqual({ status: 'accepted', location: `${s.endpoint}/logs-2016-02-25` });
    expect(s.documents().map((doc) => [doc.index, doc.id, doc.source])).toEqual(
      batch.map((r, i) => ['logs-2016-02-25', firehoseDocumentId(r, r.data), `{"n":${i}}`]),
    );
    expect(s.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('should retry only the documents answered 429, alone, with the same lines and ids, and index each document once', async () => {
    const s = await start({ throttledShare: 0.5 });
    const d = destination(s);
    const batch = recordsOf(6);
    const { request } = await build(d, batch);
    const outcome = await send(d, request!);
    expect(outcome.status).toBe('partial');
    if (outcome.status !== 'partial') return;
    expect(outcome.failed.map((f) => [f.index, f.errorCode, f.retriable])).toEqual([
      [1, '429', true],
      [3, '429', true],
      [5, '429', true],
    ]);
    expect(JSON.parse(outcome.failed[0]!.errorMessage)).toMatchObject({ type: 'rejected_execution_exception' });
    expect(outcome.retry!.items).toEqual([1, 3, 5]);
    expect(outcome.retry!.lines).toEqual([request!.lines[1], request!.lines[3], request!.lines[5]]);
    // The server throttles every second item it sees: keep resending what is left, as the engine would.
    let retry = outcome.retry!;
    for (let n = 2; ; n++) {
      expect(n).toBeLessThan(10);
      const next = await send(d, retry, n);
      if (next.status === 'accepted') break;
      expect(next.failed.every((f) => retry.items.includes(f.index) && f.errorCode === '429')).toBe(true);
      expect(next.retry!.items).toEqual(next.failed.map((f) => f.index));
      retry = next.retry!;
    }
    expect(
      s
        .documents()
        .map((doc) => doc.source)
        .sort(),
    ).toEqual(batch.map((_r, i) => `{"n":${i}}`).sort());
    expect(s.documents().every((doc) => doc.version === 1)).toBe(true);
  });

  it('should overwrite, not duplicate, when a request is sent again after its answer was lost (FIREHOSE_DEFAULT ids)', async () => {
    const s = await start();
    const d = destination(s);
    const { request } = await build(d, recordsOf(4));
    await send(d, request!);
    await send(d, request!, 2);
    expect(s.documents()).toHaveLength(4);
    expect(s.documents().map((doc) => doc.version)).toEqual([2, 2, 2, 2]);
  });

  it('should duplicate in that case with NO_DOCUMENT_ID, as Firehose warns', async () => {
    const s = await start();
    const d = destination(s, { documentIdFormat: 'NO_DOCUMENT_ID' });
    const { request } = await build(d, recordsOf(4));
    expect(Buffer.concat(request!.lines).toString()).not.toContain('"_id"');
    await send(d, request!);
    await send(d, request!, 2);
    expect(s.documents()).toHaveLength(8);
  });

  it('should fail documents refused with a 4xx for good, with OpenSearch’s status and error, and retry none of them', async () => {
    const s = await start();
    const d = destination(s);
    const batch = recordsOf(3, (i) => (i === 1 ? '{"n":"not a number"}' : `{"n":${i}}`));
    const { request } = await build(d, batch);
    const outcome = await send(d, request!);
    expect(outcome).toMatchObject({
      status: 'partial',
      location: `${s.endpoint}/logs-2016-02-25`,
      failed: [{ index: 1, errorCode: '400', retriable: false }],
    });
    if (outcome.status !== 'partial') return;
    expect(outcome.retry).toBeUndefined();
    expect(JSON.parse(outcome.failed[0]!.errorMessage)).toMatchObject({ type: 'mapper_parsing_exception' });
    expect(s.documents()).toHaveLength(2);
  });

  it('should retry 5xx items, and say which documents failed with what', async () => {
    const s = await start({
      failItem: (item) =>
        item.sequence === 0 ? { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' } : undefined,
    });
    const d = destination(s);
    const outcome = await send(d, (await build(d, recordsOf(2))).request!);
    expect(outcome).toMatchObject({ status: 'partial', failed: [{ index: 0, errorCode: '503', retriable: true }], retry: { items: [0] } });
  });

  it('should fail the whole send with Firehose-style codes and kinds when the cluster refuses the request', async () => {
    const cases: Array<[number, string, string]> = [
      [503, 'OS.ClusterError', 'transient'],
      [429, 'OS.TooManyRequests', 'throttled'],
      [403, 'OS.AccessDenied', 'transient'],
      [404, 'OS.ResourceNotFound', 'transient'],
      [400, 'OS.InvalidRequest', 'permanent'],
    ];
    for (const [status, code, kind] of cases) {
      const s = await start({ failRequest: () => ({ status, body: { error: { type: 'some_exception', reason: 'because' }, status } }) });
      const d = destination(s);
      const err = await rejection(send(d, (await build(d, recordsOf(2))).request!));
      expect([err.code, err.kind, err.message]).toEqual([code, kind, expect.stringContaining(`${status}`)]);
      expect(err.message).toContain('some_exception: because');
    }
  });

  it('should fail the send as ConnectionFailed when nothing listens', async () => {
    const s = await start();
    const endpoint = s.endpoint;
    await s.stop();
    const d = openSearchDestination({ endpoint, indexName: 'logs' });
    const err = await rejection(send(d, (await build(d, recordsOf(1))).request!));
    expect([err.code, err.kind]).toEqual(['OS.ConnectionFailed', 'transient']);
  });

  it('should cut a request the cluster finds too large (413) in halves until the parts fit', async () => {
    const s = await start({ maxBodyBytes: 300 });
    const d = destination(s);
    const batch = recordsOf(6, (i) => `{"n":${i},"pad":"${'x'.repeat(40)}"}`);
    const { request } = await build(d, batch);
    expect(request!.bytes).toBeGreaterThan(300);
    expect(await send(d, request!)).toMatchObject({ status: 'accepted' });
    expect(s.documents()).toHaveLength(6);
    expect(s.requests.map((r) => r.status)).toContain(413);
  });

  it('should fail a single document too large for the cluster for good', async () => {
    const s = await start({ maxBodyBytes: 150 });
    const d = destination(s);
    const batch = [...recordsOf(1), ...recordsOf(1, () => `{"pad":"${'x'.repeat(200)}"}`).map((r) => ({ ...r, recordId: 'big' }))];
    const outcome = await send(d, (await build(d, batch)).request!);
    expect(outcome).toMatchObject({ status: 'partial', failed: [{ index: 1, errorCode: 'OS.PayloadTooLarge', retriable: false }] });
    if (outcome.status === 'partial') expect(outcome.retry).toBeUndefined();
    const alone = destination(s);
    const err = await rejection(send(alone, (await build(alone, batch.slice(1))).request!));
    expect([err.code, err.kind]).toEqual(['OS.PayloadTooLarge', 'permanent']);
  });

  it('should time a request out on the pipeline’s scheduler (virtual time), and retry it as transient', async () => {
    // A server that takes connections and never answers.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise((resolve) => (sockets.forEach((k) => k.destroy()), silent.close(() => resolve()))));
    const port = (silent.address() as { port: number }).port;
    const d = openSearchDestination({ endpoint: `http://127.0.0.1:${port}`, indexName: 'logs', requestTimeoutMs: 60_000 });
    const virtual = new VirtualTimeScheduler();
    const { request } = await build(d, recordsOf(1));
    const sent = lastValueFrom(from(d.send(request!, attempt(1, virtual))));
    const settled = rejection(sent);
    // Nothing has timed out until virtual time reaches 60 s.
    await new Promise((resolve) => setImmediate(resolve));
    virtual.flush();
    const err = await settled;
    expect([err.code, err.kind, err.message]).toEqual(['OS.RequestTimeout', 'transient', expect.stringContaining('60000 ms')]);
    expect(virtual.now()).toBe(60_000);
  });

  it('should sign requests with SigV4 using the given credentials, service es', async () => {
    const s = await start({
      auth: { sigv4: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'token', region: 'eu-west-1', service: 'es' } },
    });
    const d = destination(s, {
      auth: {
        type: 'sigv4',
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'token' },
      },
    });
    expect(await send(d, (await build(d, recordsOf(2))).request!)).toMatchObject({ status: 'accepted' });
    expect(s.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/es\/aws4_request/);
    expect(s.requests[0]!.headers['x-amz-security-token']).toBe('token');
    const wrong = destination(s, {
      auth: {
        type: 'sigv4',
        region: 'eu-west-1',
        credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'wrong', sessionToken: 'token' }),
      },
    });
    expect((await rejection(send(wrong, (await build(wrong, recordsOf(1))).request!))).code).toBe('OS.AccessDenied');
    expect(s.documents()).toHaveLength(2);
  });

  it('should sign with service aoss for OpenSearch Serverless, and name failure fields as Firehose does there', async () => {
    const s = await start({
      auth: { sigv4: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', region: 'us-east-1', service: 'aoss' } },
    });
    const d = destination(s, {
      flavour: 'AmazonOpenSearchServerless',
      auth: { type: 'sigv4', region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } },
    });
    const batch = recordsOf(1);
    const { request } = await build(d, batch);
    expect(await send(d, request!)).toMatchObject({ status: 'accepted' });
    expect(s.documents()[0]!.index).toBe('logs');
    expect(d.failureFields!(batch[0])).toEqual({ osDocumentId: firehoseDocumentId(batch[0], batch[0]!.data), osIndexName: 'logs' });
  });

  it('should send basic auth', async () => {
    const s = await start({ auth: { basic: { username: 'admin', password: 'pw' } } });
    const d = destination(s, { auth: { type: 'basic', username: 'admin', password: 'pw' } });
    expect(await send(d, (await build(d, recordsOf(1))).request!)).toMatchObject({ status: 'accepted' });
    const wrong = destination(s, { auth: { type: 'basic', username: 'admin', password: 'no' } });
    expect((await rejection(send(wrong, (await build(wrong, recordsOf(1))).request!))).code).toBe('OS.AccessDenied');
  });

  it('should send _type for Elasticsearch 6 clusters', async () => {
    const s = await start({ allowTypes: true });
    const d = destination(s, { typeName: 'log', flavour: 'Elasticsearch' });
    const batch = recordsOf(1);
    expect(await send(d, (await build(d, batch)).request!)).toMatchObject({ status: 'accepted' });
    expect(s.requests[0]!.bytes).toBeGreaterThan(0);
    expect(d.failureFields!(batch[0])).toEqual({
      esDocumentId: firehoseDocumentId(batch[0], batch[0]!.data),
      esIndexName: 'logs-2016-02-25',
      esTypeName: 'log',
    });
  });

  it('should resolve a domain ARN once, with DescribeDomain, to https:// and the domain’s endpoint', async () => {
    const tls = selfSignedCertificate();
    const s = await start({ tls });
    const host = new URL(s.endpoint).host;
    const describe = describeDomainTestDouble({ logs: { Endpoint: host } });
    const d = openSearchDestination({
      domainArn: 'arn:aws:es:us-east-1:123456789012:domain/logs',
      openSearchClient: describe,
      indexName: 'logs',
      agent: new HttpsAgent({ ca: tls.cert }),
    });
    expect(describe.calls).toEqual([]);
    for (let i = 0; i < 3; i++)
      expect(await send(d, (await build(d, recordsOf(1))).request!)).toMatchObject({
        status: 'accepted',
        location: `https://${host}/logs-2016-02-25`,
      });
    expect(describe.calls).toEqual(['logs']);
  });

  it('should use the VPC endpoint of a VPC domain', async () => {
    const tls = selfSignedCertificate();
    const s = await start({ tls });
    const describe = describeDomainTestDouble({ private: { Endpoints: { vpc: new URL(s.endpoint).host } } });
    const d = openSearchDestination({
      domainArn: 'arn:aws:es:us-east-1:123456789012:domain/private',
      openSearchClient: describe,
      indexName: 'logs',
      agent: new HttpsAgent({ ca: tls.cert }),
    });
    expect(await send(d, (await build(d, recordsOf(1))).request!)).toMatchObject({ status: 'accepted' });
    expect(s.documents()).toHaveLength(1);
  });

  it('should fail a send whose domain cannot be resolved, and resolve again on the next', async () => {
    const tls = selfSignedCertificate();
    const s = await start({ tls });
    let ready = false;
    const describe = describeDomainTestDouble({ logs: () => (ready ? { Endpoint: new URL(s.endpoint).host } : { Processing: true }) });
    const d = openSearchDestination({
      domainArn: 'arn:aws:es:us-east-1:123456789012:domain/logs',
      openSearchClient: describe,
      indexName: 'logs',
      agent: new HttpsAgent({ ca: tls.cert }),
    });
    const { request } = await build(d, recordsOf(1));
    const err = await rejection(send(d, request!));
    expect([err.code, err.kind, err.message]).toEqual(['OS.ResourceNotFound', 'transient', expect.stringContaining('still processing')]);
    ready = true;
    expect(await send(d, request!, 2)).toMatchObject({ status: 'accepted' });
    expect(describe.calls).toEqual(['logs', 'logs']);
    const missing = openSearchDestination({
      domainArn: 'arn:aws:es:us-east-1:123456789012:domain/nope',
      openSearchClient: describe,
      indexName: 'logs',
    });
    expect((await rejection(send(missing, request!))).code).toBe('OS.ResourceNotFound');
  });
});
