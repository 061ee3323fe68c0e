import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { asyncScheduler, finalize, from, lastValueFrom, toArray, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverTo } from '../../operators/index.js';
import { directoryDestination } from '../../src/destinations/directory/index.js';
import {
  httpEndpointDestination,
  HTTP_ENDPOINT_BUFFERING,
  type HttpEndpointDestination,
  type HttpEndpointDestinationOptions,
  type HttpEndpointRequest,
} from '../../src/destinations/http/index.js';
import {
  DeliveryError,
  InvalidOptionError,
  type DeliveryResult,
  type Destination,
  type FailureRecord,
  type FirehoseRecord,
} from '../../src/index.js';
import { httpEndpointListener, type HttpEndpointListenerOptions, type HttpEndpointRequestMeta } from '../../src/receivers/http/index.js';
import { answerJson, bodyOf, closedPort, selfSignedCertificate, startServer, until, type TestServer } from '../receivers/http/support.js';
import { readFailureRecords } from '../support/readFailureRecords.js';
import { describeDestinationConformance, recordsOf as conformanceRecords } from './conformance.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const text = (s: string) => new TextEncoder().encode(s);
const recordsOf = (n: number, prefix = 'r'): FirehoseRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    recordId: `${prefix}${i}`,
    data: text(`${prefix}${i}`),
    approximateArrivalTimestamp: 1_700_000_000_000 + i,
  }));

/** Endpoints and temporary directories made by a test, closed after it. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});
const serve = async (listener: RequestListener, tls?: { key: string; cert: string }): Promise<TestServer> => {
  const s = await startServer(listener, tls);
  cleanups.push(() => s.close());
  return s;
};
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-http-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

interface Endpoint {
  readonly url: string;
  /** Headers of every request that reached the endpoint, in order (including those refused or dropped). */
  readonly requests: IncomingHttpHeaders[];
  /** Every call of the handler, in order, whether it accepted the records or threw. */
  readonly calls: HttpEndpointRequestMeta[];
  /** What the handler accepted, in order. */
  readonly received: Array<{ records: string[]; meta: HttpEndpointRequestMeta }>;
}

/**
 * A real endpoint: `httpEndpointListener` on 127.0.0.1. `before` may take over a request (return true),
 * e.g. to drop the connection; `handler` may throw to refuse the records.
 */
async function endpoint(
  options: {
    listener?: HttpEndpointListenerOptions;
    handler?: (n: number, meta: HttpEndpointRequestMeta) => void;
    before?: (req: IncomingMessage, res: ServerResponse, n: number) => boolean;
    tls?: { key: string; cert: string };
  } = {},
): Promise<Endpoint> {
  const requests: IncomingHttpHeaders[] = [];
  const received: Endpoint['received'] = [];
  const calls: HttpEndpointRequestMeta[] = [];
  const listener = httpEndpointListener((records, meta) => {
    calls.push(meta);
    options.handler?.(calls.length, meta);
    received.push({ records: records.map((r) => r.data.toString('utf8')), meta });
  }, options.listener);
  const server = await serve((req, res) => {
    requests.push(req.headers);
    if (options.before?.(req, res, requests.length) === true) return;
    listener(req, res);
  }, options.tls);
  return { url: `${server.origin}/firehose`, requests, calls, received };
}

/** Delivers `batches` through deliverTo with a directory as error output; returns the results and the failure records. */
async function deliver(
  options: HttpEndpointDestinationOptions,
  batches: FirehoseRecord[][],
  deliverOptions: { scheduler?: SchedulerLike; sizeOf?: (record: FirehoseRecord) => number } = {},
) {
  const errors = await tempDir();
  const destination = httpEndpointDestination<FirehoseRecord>(options);
  const results = await lastValueFrom(
    from(batches).pipe(
      deliverTo(destination, {
        errorOutput: directoryDestination({ path: errors, fsync: false }),
        backoff: { initialMs: 1, maxMs: 5 },
        random: () => 0.5,
        ...deliverOptions,
      }),
      toArray(),
    ),
  );
  return { results, failures: await readFailureRecords(errors), destination };
}

/** One build and one send of a batch, as deliverTo makes them: the built request and the send's outcome (or its error). */
async function buildAndSend(destination: HttpEndpointDestination, batch: readonly unknown[], scheduler: SchedulerLike = asyncScheduler) {
  const context = { batchId: 'b', scheduler, signal: new AbortController().signal };
  const built = await destination.build(batch, context);
  const outcome =
    built.request === undefined ? undefined : await lastValueFrom(from(destination.send(built.request, { ...context, attempt: 1 })));
  return { built, outcome };
}

describeDestinationConformance('httpEndpointDestination (to httpEndpointListener on 127.0.0.1)', {
  create: async () => {
    // The endpoint stores records per request id: a retry of a request replaces it, as a deduplicating endpoint does.
    const byRequestId = new Map<string, string[]>();
    // Request ids marked by failWireOnce: the endpoint refuses them once (a 500), as a failing endpoint does.
    const failing = new Set<string>();
    const server = await startServer(
      httpEndpointListener(
        (records, { requestId }) => {
          if (failing.delete(requestId)) throw new Error('refused once on purpose');
          byRequestId.set(
            requestId,
            records.map((r) => r.data.toString('utf8')),
          );
        },
        { accessKey: 'conformance-key' },
      ),
    );
    const errors = await mkdtemp(join(tmpdir(), 'rx-firehose-http-conformance-'));
    return {
      destination: httpEndpointDestination({ url: `${server.origin}/firehose`, accessKey: 'conformance-key' }),
      errorOutput: directoryDestination({ path: errors, streamName: 'conformance', fsync: false }),
      readDelivered: async () => [...byRequestId.values()].flat().flatMap((data) => data.split('\n').filter((l) => l !== '')),
      readFailures: () => readFailureRecords(errors),
      // Over 10,000 records: two requests.
      splitBatch: () => conformanceRecords(10_001),
      failWireOnce: (requestId) => void failing.add(requestId),
      close: async () => {
        await server.close();
        await rm(errors, { recursive: true, force: true });
      },
    };
  },
});

describe('httpEndpointDestination', () => {
  describe('the request', () => {
    it('should POST exactly the protocol: its headers and {"requestId","timestamp","records":[{"data":"<base64>"}]}', async () => {
      const seen: Array<{ method?: string | undefined; url?: string | undefined; headers: IncomingHttpHeaders; body: Buffer }> = [];
      const server = await serve(async (req, res) => {
        const body = await bodyOf(req);
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        const { requestId } = JSON.parse(body.toString()) as { requestId: string };
        answerJson(res, 200, { requestId, timestamp: 1 });
      });
      const clock: SchedulerLike = { now: () => 1_578_090_901_599, schedule: asyncScheduler.schedule.bind(asyncScheduler) };
      const records = [
        ...recordsOf(2),
        { recordId: 'bin', data: Uint8Array.of(0, 0xff, 0x0a), approximateArrivalTimestamp: 0 },
        { recordId: 'empty', data: new Uint8Array(0), approximateArrivalTimestamp: 0 },
      ];
      const { results } = await deliver(
        { url: `${server.origin}/ingest?tenant=a`, accessKey: 'the-key', commonAttributes: { env: 'prod', 'device-types': '' } },
        [records],
        { scheduler: clock },
      );

      expect(seen).toHaveLength(1);
      const [{ method, url, headers, body }] = seen as [(typeof seen)[0]];
      expect(method).toBe('POST');
      expect(url).toBe('/ingest?tenant=a');
      const requestId = headers['x-amz-firehose-request-id'] as string;
      expect(requestId).toMatch(UUID);
      expect(headers).toMatchObject({
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-amz-firehose-protocol-version': '1.0',
        'x-amz-firehose-source-arn': 'arn:aws:firehose:us-east-1:000000000000:deliverystream/rx-firehose',
        'x-amz-firehose-access-key': 'the-key',
        'x-amz-firehose-common-attributes': '{"commonAttributes":{"env":"prod","device-types":""}}',
      });
      expect(headers['content-encoding']).toBeUndefined();
      expect(body.toString()).toBe(
        `{"requestId":"${requestId}","timestamp":1578090901599,"records":[{"data":"cjA="},{"data":"cjE="},{"data":"AP8K"},{"data":""}]}`,
      );
      expect(results).toMatchObject([{ status: 'delivered', attempts: 1, location: `${server.origin}/ingest#requestId=${requestId}` }]);
    });

    it('should gzip the body with contentEncoding GZIP and say so in Content-Encoding', async () => {
      const seen: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];
      const server = await serve(async (req, res) => {
        const body = await bodyOf(req);
        seen.push({ headers: req.headers, body });
        answerJson(res, 200, { requestId: req.headers['x-amz-firehose-request-id'], timestamp: 1 });
      });
      const records = recordsOf(500);
      await deliver({ url: server.origin, contentEncoding: 'GZIP' }, [records]);
      expect(seen[0]!.headers['content-encoding']).toBe('gzip');
      expect(Number(seen[0]!.headers['content-length'])).toBe(seen[0]!.body.length);
      const json = JSON.parse(gunzipSync(seen[0]!.body).toString()) as { records: Array<{ data: string }> };
      expect(json.records.map((r) => Buffer.from(r.data, 'base64').toString())).toEqual(records.map((r) => r.recordId));
    });

    it('should name the stream in the source ARN from streamName, region and accountId, or take sourceArn as is', async () => {
      const a = await endpoint();
      await deliver({ url: a.url, streamName: 'clicks', region: 'eu-west-1', accountId: '123456789012' }, [recordsOf(1)]);
      await deliver({ url: a.url, sourceArn: 'arn:aws:firehose:ap-south-1:210987654321:deliverystream/orders' }, [recordsOf(1)]);
      expect(a.received.map((r) => r.meta.sourceArn)).toEqual([
        'arn:aws:firehose:eu-west-1:123456789012:deliverystream/clicks',
        'arn:aws:firehose:ap-south-1:210987654321:deliverystream/orders',
      ]);
    });
  });

  describe('against httpEndpointListener', () => {
    it('should deliver every record, with its metadata, in plain and gzipped requests', async () => {
      const e = await endpoint({ listener: { accessKey: 'k' } });
      const commonAttributes = { team: 'ünïcode ✓', empty: '' };
      const { results } = await deliver({ url: e.url, accessKey: 'k', commonAttributes }, [recordsOf(3, 'a')]);
      const gz = await deliver({ url: e.url, accessKey: 'k', commonAttributes, contentEncoding: 'GZIP' }, [recordsOf(1000, 'b')]);
      expect([...results, ...gz.results].map((r) => r.status)).toEqual(['delivered', 'delivered']);
      expect(e.received.map((r) => r.records)).toEqual([
        recordsOf(3, 'a').map((r) => r.recordId),
        recordsOf(1000, 'b').map((r) => r.recordId),
      ]);
      expect(e.received[0]!.meta).toEqual({
        requestId: e.requests[0]!['x-amz-firehose-request-id'],
        sourceArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/rx-firehose',
        commonAttributes,
        timestampMs: expect.any(Number),
      });
    });

    it('should retry after a 500, with the same request id, and deliver once', async () => {
      const e = await endpoint({
        handler: (n) => {
          if (n === 1) throw new Error('try again later');
        },
      });
      const { results } = await deliver({ url: e.url }, [recordsOf(4)]);
      expect(results).toMatchObject([{ status: 'delivered', attempts: 2 }]);
      expect(e.requests).toHaveLength(2);
      expect(e.requests[1]!['x-amz-firehose-request-id']).toBe(e.requests[0]!['x-amz-firehose-request-id']);
      expect(e.calls.map((m) => m.requestId)).toEqual([
        e.requests[0]!['x-amz-firehose-request-id'],
        e.requests[0]!['x-amz-firehose-request-id'],
      ]);
      expect(e.received.map((r) => r.records)).toEqual([['r0', 'r1', 'r2', 'r3']]);
    });

    it('should retry after a dropped connection (HttpEndpoint.ConnectionReset), with the same request id', async () => {
      const e = await endpoint({
        before: (req, _res, n) => {
          if (n > 1) return false;
          req.socket.destroy();
          return true;
        },
      });
      const { results } = await deliver({ url: e.url }, [recordsOf(2)]);
      expect(results).toMatchObject([{ status: 'delivered', attempts: 2 }]);
      expect(e.requests.map((h) => h['x-amz-firehose-request-id'])).toEqual([
        expect.stringMatching(UUID),
        e.requests[0]!['x-amz-firehose-request-id'],
      ]);
      expect(e.received).toHaveLength(1);

      const always = await endpoint({ before: (req) => (req.socket.destroy(), true) });
      const { failures } = await deliver({ url: always.url, retryDurationMs: 0 }, [recordsOf(1)]);
      expect(failures).toMatchObject([{ errorCode: 'HttpEndpoint.ConnectionReset', attemptsMade: 1 }]);
    });

    it('should not retry a 413, and write http-endpoint-failed records with the endpoint’s errorMessage', async () => {
      const e = await endpoint({ listener: { maxBodyBytes: 100 } });
      const records = recordsOf(20);
      const { results, failures } = await deliver({ url: e.url }, [records]);
      expect(e.requests).toHaveLength(1);
      expect(results).toMatchObject([{ status: 'failed-to-error-output', attempts: 1, errorCode: 'HttpEndpoint.DestinationException' }]);
      expect(results[0]!.errorLocation).toContain('http-endpoint-failed/');
      expect(failures).toHaveLength(20);
      expect(failures[0]).toEqual({
        attemptsMade: 1,
        arrivalTimestamp: records[0]!.approximateArrivalTimestamp,
        errorCode: 'HttpEndpoint.DestinationException',
        errorMessage: expect.stringMatching(/^the body has \d+ bytes; this endpoint accepts at most 100$/),
        attemptEndingTimestamp: expect.any(Number),
        rawData: Buffer.from('r0').toString('base64'),
      });
    });

    it('should split a batch of over 10,000 records into requests of at most 10,000, and retry only the request that failed, with its id', async () => {
      let failedOnce = false;
      const e = await endpoint({
        handler: (_n, meta) => {
          if (!failedOnce && meta.requestId === secondId()) {
            failedOnce = true;
            throw new Error('second request refused once');
          }
        },
      });
      const secondId = (): string | undefined => e.requests[1]?.['x-amz-firehose-request-id'] as string | undefined;
      const records = recordsOf(25_000);
      const { results } = await deliver({ url: e.url }, [records]);
      expect(results).toMatchObject([{ status: 'delivered', attempts: 2, failed: [] }]);
      // Three requests, in parallel (so in any order), then the one refused again, with the same id.
      const ids = e.requests.map((h) => h['x-amz-firehose-request-id'] as string);
      expect(ids).toHaveLength(4);
      expect(new Set(ids.slice(0, 3)).size).toBe(3);
      expect(ids[3]).toBe(ids[1]);
      expect(e.received.map((r) => r.records.length).sort((a, b) => a - b)).toEqual([5_000, 10_000, 10_000]);
      // Every record arrived exactly once in the accepted requests.
      expect(e.received.flatMap((r) => r.records).sort()).toEqual(records.map((r) => r.recordId).sort());
    });

    it('should refuse records over 1,024,000 bytes permanently (HttpEndpoint.RecordTooLarge), and deliver the others', async () => {
      const e = await endpoint();
      const big = { recordId: 'big', data: new Uint8Array(1_024_001), approximateArrivalTimestamp: 0 };
      const justRight = { recordId: 'max', data: new Uint8Array(1_024_000), approximateArrivalTimestamp: 0 };
      const { results, failures } = await deliver({ url: e.url }, [[...recordsOf(2), big, justRight]]);
      expect(results).toMatchObject([{ status: 'failed-to-error-output', attempts: 1 }]);
      expect(results[0]!.failed.map((r) => r.recordId)).toEqual(['big']);
      expect(e.received.map((r) => r.records.length)).toEqual([3]);
      expect(failures.map((f) => [f.errorCode, f.errorMessage])).toEqual([
        ['HttpEndpoint.RecordTooLarge', 'the record has 1024001 bytes; the protocol carries records of at most 1024000 bytes'],
      ]);
    });

    it('should fail a value without bytes permanently (HttpEndpoint.InvalidRecord) and send the rest', async () => {
      const e = await endpoint();
      const destination = httpEndpointDestination({ url: e.url });
      const { built, outcome } = await buildAndSend(destination, [{ data: 42 }, 'text is fine', Uint8Array.of(0x41)]);
      expect(built.failed).toMatchObject([
        { index: 0, errorCode: 'HttpEndpoint.InvalidRecord', errorMessage: expect.stringMatching(/of type number/), retriable: false },
      ]);
      expect(built.request!.items).toEqual([1, 2]);
      expect(outcome).toMatchObject({ status: 'accepted' });
      expect(e.received.map((r) => r.records)).toEqual([['text is fine', 'A']]);
    });
  });

  describe('responses that are not success', () => {
    /** An endpoint that answers every request with `answer`. */
    const answering = (answer: (res: ServerResponse, requestId: string) => void) =>
      serve(async (req, res) => {
        await bodyOf(req);
        answer(res, req.headers['x-amz-firehose-request-id'] as string);
      });

    const cases: Array<{ name: string; answer: (res: ServerResponse, id: string) => void; errorCode: string; message: RegExp }> = [
      {
        name: '200 text/plain',
        answer: (res) => (res.writeHead(200, { 'Content-Type': 'text/plain' }), res.end('OK')),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /Content-Type is text\/plain; it must be application\/json\. Raw response received: 200 OK$/,
      },
      {
        name: '200 without a body',
        answer: (res) => res.writeHead(200).end(),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /Content-Type is missing/,
      },
      {
        name: '200 with another requestId',
        answer: (res) => answerJson(res, 200, { requestId: 'not-mine', timestamp: 1 }),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /requestId "not-mine" does not match the request's/,
      },
      {
        name: '200 without requestId',
        answer: (res) => answerJson(res, 200, { timestamp: 1 }),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /requestId is missing/,
      },
      {
        name: '200 without timestamp',
        answer: (res, id) => answerJson(res, 200, { requestId: id }),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /timestamp is missing or not a number/,
      },
      {
        name: '200 with a string timestamp',
        answer: (res, id) => answerJson(res, 200, { requestId: id, timestamp: '1578090903599' }),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /timestamp is missing or not a number/,
      },
      {
        name: '200 with an unexpected field',
        answer: (res, id) => answerJson(res, 200, { requestId: id, timestamp: 1, status: 'ok' }),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /unexpected field\(s\) "status"/,
      },
      {
        name: '200 that is not JSON',
        answer: (res) => answerJson(res, 200, '{"requestId":'),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /the body is not JSON/,
      },
      {
        name: '200 gzip-encoded',
        answer: (res, id) => answerJson(res, 200, JSON.stringify({ requestId: id, timestamp: 1 }), { 'Content-Encoding': 'gzip' }),
        errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
        message: /Content-Encoding gzip; responses must not be encoded/,
      },
      {
        name: '201 with a conforming body',
        answer: (res, id) => answerJson(res, 201, { requestId: id, timestamp: 1 }),
        errorCode: 'HttpEndpoint.DestinationException',
        message: /^the endpoint answered 201 Created: /,
      },
      {
        name: '503 text',
        answer: (res) => (res.writeHead(503, { 'Content-Type': 'text/plain' }), res.end('busy')),
        errorCode: 'HttpEndpoint.DestinationException',
        message: /^the endpoint answered 503 Service Unavailable: busy$/,
      },
      {
        name: '500 with errorMessage',
        answer: (res, id) =>
          answerJson(res, 500, { requestId: id, timestamp: 1, errorMessage: 'Unable to deliver records due to unknown error.' }),
        errorCode: 'HttpEndpoint.DestinationException',
        message: /^Unable to deliver records due to unknown error\.$/,
      },
      {
        name: '401',
        answer: (res, id) => answerJson(res, 401, { requestId: id, timestamp: 1, errorMessage: 'bad key' }),
        errorCode: 'HttpEndpoint.DestinationException',
        message: /^bad key$/,
      },
      {
        name: '200 over 1 MiB',
        answer: (res, id) => answerJson(res, 200, { requestId: id, timestamp: 1, errorMessage: 'x'.repeat(1_100_000) }),
        errorCode: 'HttpEndpoint.ResponseTooLarge',
        message: /exceeds 1048576 bytes \(headers included\)/,
      },
    ];

    it.each(cases)('should count $name as a failure ($errorCode)', async ({ answer, errorCode, message }) => {
      const server = await answering(answer);
      const { results, failures } = await deliver({ url: server.origin, retryDurationMs: 0 }, [recordsOf(1)]);
      expect(results).toMatchObject([{ status: 'failed-to-error-output', attempts: 1, errorCode }]);
      expect(failures).toEqual([expect.objectContaining({ errorCode, errorMessage: expect.stringMatching(message) })]);
    });

    it('should retry a non-conforming response like a 500 and deliver when the endpoint conforms', async () => {
      let n = 0;
      const server = await answering((res, id) =>
        ++n === 1 ? answerJson(res, 200, { requestId: id }) : answerJson(res, 200, { requestId: id, timestamp: 2 }),
      );
      const { results } = await deliver({ url: server.origin }, [recordsOf(1)]);
      expect(results).toMatchObject([{ status: 'delivered', attempts: 2 }]);
    });

    it('should not follow a redirect', async () => {
      const target = await endpoint();
      const server = await answering((res) => (res.writeHead(307, { Location: target.url }), res.end()));
      const { failures } = await deliver({ url: server.origin, retryDurationMs: 0 }, [recordsOf(1)]);
      expect(failures).toMatchObject([
        {
          errorCode: 'HttpEndpoint.DestinationException',
          errorMessage: 'the endpoint answered 307 Temporary Redirect (redirects are not followed)',
        },
      ]);
      expect(target.requests).toEqual([]);
    });

    it('should count an answer that is not HTTP as an invalid response', async () => {
      const garbage = createNetServer((socket) => socket.once('data', () => socket.end('SMTP ready\r\n\r\n')));
      await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise<void>((resolve) => garbage.close(() => resolve())));
      const { port } = garbage.address() as AddressInfo;
      const { failures } = await deliver({ url: `http://127.0.0.1:${port}/`, retryDurationMs: 0 }, [recordsOf(1)]);
      expect(failures).toMatchObject([
        {
          errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
          errorMessage: expect.stringMatching(/^the response is not valid HTTP/),
        },
      ]);
    });

    it('should fail a request with no answer within requestTimeoutMs (HttpEndpoint.RequestTimeout)', async () => {
      const server = await serve(() => undefined);
      const { failures } = await deliver({ url: server.origin, requestTimeoutMs: 200, retryDurationMs: 0 }, [recordsOf(1)]);
      expect(failures).toMatchObject([
        { errorCode: 'HttpEndpoint.RequestTimeout', errorMessage: `${server.origin}/ did not answer within 200 ms` },
      ]);
    });

    it('should fail a refused connection (HttpEndpoint.ConnectionFailed)', async () => {
      const port = await closedPort();
      const { failures } = await deliver({ url: `http://127.0.0.1:${port}/`, retryDurationMs: 0 }, [recordsOf(1)]);
      expect(failures).toMatchObject([
        { errorCode: 'HttpEndpoint.ConnectionFailed', errorMessage: `connect ECONNREFUSED 127.0.0.1:${port}` },
      ]);
    });

    it('should abort the request in flight when the pipeline is unsubscribed', async () => {
      let arrived = false;
      let closed = false;
      const server = await serve((req) => {
        arrived = true;
        req.on('close', () => (closed = true));
      });
      const destination = httpEndpointDestination<FirehoseRecord>({ url: server.origin });
      const subscription = from([recordsOf(1)])
        .pipe(deliverTo(destination))
        .subscribe();
      await until(() => arrived, 'the request to arrive');
      subscription.unsubscribe();
      await until(() => closed, 'the request to be closed');
    });
  });

  describe('https', () => {
    it('should deliver over TLS to an endpoint whose certificate is trusted through ca, and fail the handshake otherwise', async () => {
      const tls = selfSignedCertificate();
      const e = await endpoint({ tls, listener: { accessKey: 'tls-key' } });
      expect(e.url.startsWith('https://127.0.0.1:')).toBe(true);
      const ok = await deliver({ url: e.url, accessKey: 'tls-key', ca: tls.cert, contentEncoding: 'GZIP' }, [recordsOf(3)]);
      expect(ok.results).toMatchObject([{ status: 'delivered' }]);
      expect(e.received.map((r) => r.records)).toEqual([['r0', 'r1', 'r2']]);

      const untrusted = await deliver({ url: e.url, accessKey: 'tls-key', retryDurationMs: 0 }, [recordsOf(1)]);
      expect(untrusted.failures).toMatchObject([
        { errorCode: 'HttpEndpoint.SSLHandshakeFailure', errorMessage: expect.stringMatching(/^DEPTH_ZERO_SELF_SIGNED_CERT: /) },
      ]);
    });
  });

  describe('the access key', () => {
    const KEY = 'AKIA-very-secret-0123456789';

    it('should never appear in results, failure records, errors or the destination itself', async () => {
      // An endpoint that refuses the key, one that echoes it back in its error, one that answers nonsense quoting it, none at all.
      const refusing = await endpoint({ listener: { accessKey: 'another-key' } });
      const echoing = await serve(async (req, res) => {
        await bodyOf(req);
        answerJson(res, 500, {
          requestId: req.headers['x-amz-firehose-request-id'],
          timestamp: 1,
          errorMessage: `key ${String(req.headers['x-amz-firehose-access-key'])} expired`,
        });
      });
      const quoting = await serve(async (req, res) => {
        await bodyOf(req);
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`you sent ${String(req.headers['x-amz-firehose-access-key'])}`);
      });
      const port = await closedPort();
      const everything: unknown[] = [];
      for (const url of [refusing.url, echoing.origin, quoting.origin, `http://127.0.0.1:${port}/`]) {
        const { results, failures, destination } = await deliver({ url, accessKey: KEY, retryDurationMs: 0 }, [recordsOf(2)]);
        expect(results[0]!.status).toBe('failed-to-error-output');
        everything.push(results, failures, inspect(destination, { depth: 10, showHidden: true }));
      }
      expect(refusing.requests[0]!['x-amz-firehose-access-key']).toBe(KEY); // it was sent…
      const all = JSON.stringify(everything);
      expect(all).toContain('(access key)'); // …scrubbed where the endpoint repeated it…
      expect(all).not.toContain(KEY); // …and nowhere else.
    });

    describe('whatever spelling, length or place the endpoint echoes it in', () => {
      const LONG_KEY = 'AKIA-very-secret-0123456789-abcdefghij';
      /** Printable ASCII that JSON-escapes (`"`, `\\`), may be slash-escaped (`/`) and URL-encodes (space, `%`). */
      const ODD_KEY = 'tok"en/se cret\\value%-123';
      const uEscaped = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
      const lowerHex = (s: string) => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
      /** The key's first 8 characters in every spelling: none may appear anywhere (so no prefix of 8 or more does either). */
      const traces = (key: string): string[] => {
        const p = key.slice(0, 8);
        const json = JSON.stringify(p).slice(1, -1);
        const form = new URLSearchParams({ k: p }).toString().slice(2);
        return [
          ...new Set([
            p,
            json,
            json.replaceAll('/', '\\/'),
            encodeURIComponent(p),
            lowerHex(encodeURIComponent(p)),
            form,
            lowerHex(form),
            uEscaped(p),
          ]),
        ];
      };
      /** Every string and byte buffer reachable from `value`, non-enumerable properties (message, stack, cause) included. */
      const reachableText = (value: unknown, seen = new Set<unknown>()): string => {
        if (typeof value === 'string') return value;
        if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
        if (typeof value !== 'object' || value === null || seen.has(value)) return '';
        seen.add(value);
        return Reflect.ownKeys(value)
          .map((k) => reachableText((value as Record<PropertyKey, unknown>)[k], seen))
          .join('\n');
      };
      const expectNoTrace = (where: string, text: string, key: string) => {
        for (const t of traces(key))
          expect(text.includes(t), `${where} contains ${JSON.stringify(t)}: ${text.slice(0, 200)}…${text.slice(-200)}`).toBe(false);
      };

      type Answer = (res: ServerResponse, key: string, requestId: string) => void;
      const plain =
        (status: number, body: string, type = 'text/plain'): ((res: ServerResponse) => void) =>
        (res) =>
          res.writeHead(status, { 'Content-Type': type }).end(body);
      const scenarios: Array<[string, Answer]> = [
        // A raw response quoted in the message is cut at 512 characters: the key straddles the cut.
        ['a 401 quoted up to the 512th character', (res, key) => plain(401, `${'.'.repeat(500)}${key}`)(res)],
        ['a 200 that does not conform, quoted up to the 512th character', (res, key) => plain(200, `${'.'.repeat(490)}${key}`)(res)],
        // errorMessage is cut at 8,192 characters: the key straddles the cut.
        [
          'errorMessage up to its 8,192nd character',
          (res, key, id) => answerJson(res, 500, { requestId: id, timestamp: 1, errorMessage: `${'.'.repeat(8180)}${key}` }),
        ],
        // Escaped copies, which the plain key does not match.
        ['a JSON-escaped copy outside errorMessage', (res, key) => answerJson(res, 401, { message: `bad key ${key}` })],
        [
          'a JSON copy with escaped slashes, near the cut',
          (res, key) => answerJson(res, 401, JSON.stringify({ message: `${'.'.repeat(480)}${key}` }).replaceAll('/', '\\/')),
        ],
        [
          'a \\u-escaped copy in a 200 that does not conform',
          (res, key, id) => answerJson(res, 200, `{"requestId":"${id}","timestamp":1,"echo":"${uEscaped(key)}"}`),
        ],
        [
          'a \\u-escaped copy in errorMessage',
          (res, key, id) => answerJson(res, 500, `{"requestId":"${id}","timestamp":1,"errorMessage":"key ${uEscaped(key)} expired"}`),
        ],
        // Escaped copies in bodies that are not JSON, whatever their format.
        ['a \\u-escaped copy in a text/plain 401', (res, key) => plain(401, `denied: "${uEscaped(key)}" is not a valid key`)(res)],
        [
          'an upper-case \\u-escaped copy in a 500 that is not JSON',
          (res, key) => plain(500, `oops {key: '${uEscaped(key).toUpperCase().replaceAll('\\U', '\\u')}'`)(res),
        ],
        [
          'a partly \\u-escaped copy in an HTML 403',
          (res, key) => plain(403, `<p>key ${key.slice(0, 3)}${uEscaped(key.slice(3))}</p>`, 'text/html')(res),
        ],
        [
          'an HTML-entity copy in an HTML 403',
          (res, key) => plain(403, `<p>key ${[...key].map((c) => `&#${c.charCodeAt(0)};`).join('')}</p>`, 'text/html')(res),
        ],
        [
          'a \\x-escaped copy in a 400',
          (res, key) => plain(400, `bad ${[...key].map((c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')}`)(res),
        ],
        [
          'an HTML-entity copy in errorMessage',
          (res, key, id) =>
            answerJson(res, 500, {
              requestId: id,
              timestamp: 1,
              errorMessage: `key ${[...key].map((c) => `&#x${c.charCodeAt(0).toString(16)};`).join('')} expired`,
            }),
        ],
        [
          'a URL-encoded copy',
          (res, key) =>
            plain(
              400,
              `error=invalid_key&key=${encodeURIComponent(key)}&also=${lowerHex(new URLSearchParams({ k: key }).toString().slice(2))}`,
            )(res),
        ],
        [
          'a copy in the Content-Type of a 200',
          (res, key, id) => answerJson(res, 200, { requestId: id, timestamp: 1 }, { 'Content-Type': `text/x-${key}` }),
        ],
        ['a copy as the requestId of a 200', (res, key) => answerJson(res, 200, { requestId: key, timestamp: 1 })],
      ];

      it.each(scenarios.flatMap(([name, answer]) => [LONG_KEY, ODD_KEY].map((key) => [name, key, answer] as const)))(
        'should scrub %s (key %j) from the error, the result and the failure records',
        async (_name, key, answer) => {
          const server = await serve(async (req, res) => {
            await bodyOf(req);
            expect(req.headers['x-amz-firehose-access-key']).toBe(key);
            answer(res, key, req.headers['x-amz-firehose-request-id'] as string);
          });
          // The attempt's own error.
          let error: unknown;
          try {
            await buildAndSend(httpEndpointDestination({ url: server.origin, accessKey: key }), recordsOf(1));
          } catch (err) {
            error = err;
          }
          expect(error).toBeInstanceOf(Error);
          expectNoTrace('the DeliveryError', `${reachableText(error)}\n${inspect(error, { depth: 10, showHidden: true })}`, key);
          // What deliverTo makes of it.
          const { results, failures } = await deliver({ url: server.origin, accessKey: key, retryDurationMs: 0 }, [recordsOf(2)]);
          expect(failures).toHaveLength(2);
          expectNoTrace('the result', `${reachableText(results)}\n${JSON.stringify(results)}`, key);
          expectNoTrace('the failure records', JSON.stringify(failures), key);
          // Replaced, not dropped: the message still says where the endpoint put it.
          expect((error as Error).message).toContain('(access key)');
          expect(results).toMatchObject([{ status: 'failed-to-error-output', errorMessage: expect.stringContaining('(access key)') }]);
        },
      );

      it('should judge the answer as it came: a key that also occurs in a conforming answer (here "1") does not spoil it', async () => {
        const server = await serve(async (req, res) => {
          await bodyOf(req);
          answerJson(res, 200, { requestId: req.headers['x-amz-firehose-request-id'], timestamp: 1_111, errorMessage: 'key 1 ok' });
        });
        const { results } = await deliver({ url: server.origin, accessKey: '1', retryDurationMs: 0 }, [recordsOf(1)]);
        expect(results).toMatchObject([{ status: 'delivered', attempts: 1 }]);
      });

      it('should scrub it from a network error, its cause included (Node keeps the raw response there)', async () => {
        const garbage = createNetServer((socket) =>
          socket.once('data', () => socket.end(`HTTP/1.1 200 OK\r\nX-Echo: ${ODD_KEY} ${encodeURIComponent(ODD_KEY)}\x01\r\n\r\n`)),
        );
        await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
        cleanups.push(() => new Promise<void>((resolve) => garbage.close(() => resolve())));
        const { port } = garbage.address() as AddressInfo;
        let error: unknown;
        try {
          await buildAndSend(httpEndpointDestination({ url: `http://127.0.0.1:${port}/`, accessKey: ODD_KEY }), recordsOf(1));
        } catch (err) {
          error = err;
        }
        expect(error).toMatchObject({
          code: 'HttpEndpoint.InvalidResponseFromDestination',
          message: expect.stringMatching(/^the response is not valid HTTP: /),
        });
        expect((error as Error).cause).toMatchObject({ code: 'HPE_INVALID_HEADER_TOKEN' }); // the cause is kept…
        expectNoTrace('the DeliveryError', `${reachableText(error)}\n${inspect(error, { depth: 10, showHidden: true })}`, ODD_KEY); // …without the raw bytes
      });
    });

    it('should not show it when refusing it as an option', () => {
      const bad = `${KEY}\r\nX-Injected: 1`;
      let error: unknown;
      try {
        httpEndpointDestination({ url: 'https://example.com/', accessKey: bad });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toBe(
        `httpEndpointDestination: accessKey must be 1 to 4096 printable ASCII characters; got "a string of ${bad.length} characters (not shown)"`,
      );
      expect(JSON.stringify(error)).not.toContain(KEY);
    });
  });

  describe('in virtual time', () => {
    it('should retry on 500 with Firehose’s backoff for the 300 s retry duration, with one request id, then write the last errorMessage to the error output', async () => {
      const e = await endpoint({
        handler: () => {
          throw new Error('the endpoint is failing on purpose');
        },
      });
      const errors = await tempDir();
      const scheduler = new TestScheduler(() => undefined);
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
      const endpointDestination = httpEndpointDestination<FirehoseRecord>({ url: e.url });
      // Attempts in flight: while one is, the scheduler holds its request's timeout (180 s of virtual time).
      let inFlight = 0;
      const destination: Destination<HttpEndpointRequest> = {
        ...endpointDestination,
        send: (request, attempt) => {
          inFlight += 1;
          return from(endpointDestination.send(request, attempt)).pipe(finalize(() => (inFlight -= 1)));
        },
      };
      const results: DeliveryResult<FirehoseRecord>[] = [];
      let done = false;
      let failed: unknown;
      from([recordsOf(2)])
        .pipe(deliverTo(destination, { scheduler, random: () => 0.5, errorOutput: directoryDestination({ path: errors, fsync: false }) }))
        .subscribe({ next: (r) => results.push(r), error: (err: unknown) => (failed = err), complete: () => (done = true) });
      // The requests are real; the waits between them are virtual: whenever a retry is scheduled (and no
      // request is waiting for its answer, which would time out if virtual time jumped), jump to it.
      while (!done && failed === undefined) {
        await until(
          () => done || failed !== undefined || (inFlight === 0 && scheduler.actions.length > 0),
          'a retry to be scheduled or the batch to settle',
        );
        // Only up to the retry: the resend starts its request (and its timeout) at once, since nothing is built again.
        scheduler.maxFrames = scheduler.actions[0]?.delay ?? scheduler.maxFrames;
        scheduler.flush();
      }
      expect(failed).toBeUndefined();

      // 1 s, 2 s, 4 s, … capped at 120 s: attempts at 0, 1, 3, 7, 15, 31, 63, 127 and 247 s; the next would start at 367 s > 300 s.
      // Every retry resends the body built at 0 s, byte for byte: its timestamp is the build's.
      expect(e.calls.map((m) => m.timestampMs)).toEqual(Array(9).fill(0));
      expect(new Set(e.requests.map((h) => h['x-amz-firehose-request-id'])).size).toBe(1);
      expect(results).toMatchObject([
        {
          status: 'failed-to-error-output',
          attempts: 9,
          durationMs: 247_000,
          errorCode: 'HttpEndpoint.DestinationException',
          errorMessage: 'the endpoint is failing on purpose',
        },
      ]);
      expect(await readFailureRecords(errors)).toEqual(
        ['r0', 'r1'].map((data, i) => ({
          attemptsMade: 9,
          arrivalTimestamp: 1_700_000_000_000 + i,
          errorCode: 'HttpEndpoint.DestinationException',
          errorMessage: 'the endpoint is failing on purpose',
          attemptEndingTimestamp: 247_000,
          rawData: Buffer.from(data).toString('base64'),
        })),
      );
    });

    it('should time a request out on the pipeline’s scheduler: in virtual time, requestTimeoutMs passes when the scheduler says so', async () => {
      let arrived = 0;
      let closed = 0;
      const server = await serve((req, res) => {
        arrived += 1;
        req.resume();
        res.on('close', () => (closed += 1)); // the connection closed with no answer sent
      }); // never answers
      const turns = async (n: number) => {
        for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
      };

      // One attempt, as deliverTo makes it.
      const scheduler = new TestScheduler(() => undefined);
      const destination = httpEndpointDestination<FirehoseRecord>({ url: server.origin, requestTimeoutMs: 60_000 });
      let outcome: unknown = 'pending';
      buildAndSend(destination, recordsOf(1), scheduler).then(
        () => (outcome = 'delivered'),
        (err: unknown) => (outcome = err),
      );
      await until(() => arrived === 1, 'the request to arrive');
      scheduler.maxFrames = 59_999;
      scheduler.flush();
      await turns(5);
      expect(outcome).toBe('pending'); // 1 ms of virtual time short
      expect(closed).toBe(0);
      scheduler.maxFrames = 60_000;
      scheduler.flush();
      await until(() => outcome !== 'pending', 'the attempt to time out');
      expect(outcome).toBeInstanceOf(DeliveryError);
      expect(outcome).toMatchObject({
        code: 'HttpEndpoint.RequestTimeout',
        message: `${server.origin}/ did not answer within 60000 ms`,
        permanent: false,
      });
      await until(() => closed === 1, 'the request to be aborted');
      expect(scheduler.actions).toEqual([]);

      // Through deliverTo: the failure record says RequestTimeout, at the virtual time it happened.
      const pipelineScheduler = new TestScheduler(() => undefined);
      pipelineScheduler.maxFrames = Number.POSITIVE_INFINITY;
      const delivered = deliver({ url: server.origin, requestTimeoutMs: 60_000, retryDurationMs: 0 }, [recordsOf(1)], {
        scheduler: pipelineScheduler,
      });
      await until(() => arrived === 2, 'the second request to arrive');
      pipelineScheduler.flush();
      const { results, failures } = await delivered;
      expect(results).toMatchObject([
        { status: 'failed-to-error-output', attempts: 1, durationMs: 60_000, errorCode: 'HttpEndpoint.RequestTimeout' },
      ]);
      expect(failures).toMatchObject([
        {
          errorCode: 'HttpEndpoint.RequestTimeout',
          errorMessage: `${server.origin}/ did not answer within 60000 ms`,
          attemptEndingTimestamp: 60_000,
        },
      ]);
      await until(() => closed === 2, 'the second request to be aborted');
    });

    it('should leave nothing scheduled once a request is answered', async () => {
      const e = await endpoint();
      const scheduler = new TestScheduler(() => undefined);
      const destination = httpEndpointDestination<FirehoseRecord>({ url: e.url });
      await buildAndSend(destination, recordsOf(1), scheduler);
      expect(e.received).toHaveLength(1);
      expect(scheduler.actions).toEqual([]); // the request's timeout was cancelled
    });

    it('should not retry at all with retryDurationMs 0', async () => {
      const e = await endpoint({
        handler: () => {
          throw new Error('no');
        },
      });
      const scheduler = new TestScheduler(() => undefined);
      const { results } = await deliver({ url: e.url, retryDurationMs: 0 }, [recordsOf(1)], { scheduler });
      expect(results).toMatchObject([{ status: 'failed-to-error-output', attempts: 1 }]);
      expect(e.requests).toHaveLength(1);
    });
  });

  describe('as a destination', () => {
    it('should be named HttpEndpoint, write http-endpoint-failed records, retry for 300 s and recommend 5 MiB / 300 s buffers', async () => {
      const d = httpEndpointDestination({ url: 'https://example.com/firehose' });
      expect(d).toMatchObject({ name: 'HttpEndpoint', errorOutputType: 'http-endpoint-failed', retryDurationMs: 300_000 });
      expect(d.recommendedBuffering).toEqual({ maxBytes: 5 * 1024 * 1024, maxMs: 300_000 });
      expect(HTTP_ENDPOINT_BUFFERING).toEqual({ maxBytes: 5 << 20, maxMs: 300_000 });
      expect(httpEndpointDestination({ url: 'https://example.com/', retryDurationMs: 7_200_000 }).retryDurationMs).toBe(7_200_000);
    });

    it('should report DeliveryToHttpEndpoint.* metrics', async () => {
      const e = await endpoint();
      const metrics: string[] = [];
      await lastValueFrom(
        from([recordsOf(3)]).pipe(
          deliverTo(httpEndpointDestination<FirehoseRecord>({ url: e.url }), {
            metrics: (name, value) => metrics.push(`${name}=${name.endsWith('DataFreshness') ? '…' : value}`),
          }),
        ),
      );
      expect(metrics).toEqual([
        'DeliveryToHttpEndpoint.Records=3',
        'DeliveryToHttpEndpoint.Bytes=6',
        'DeliveryToHttpEndpoint.Success=1',
        'DeliveryToHttpEndpoint.DataFreshness=…',
      ]);
    });

    it.each([
      [{ url: 'ftp://example.com/' }, 'url must be an http: or https: URL without credentials; got "ftp://example.com/"'],
      [{ url: 'not a url' }, 'url must be an http: or https: URL without credentials; got "not a url"'],
      [
        { url: 'https://user:pw@example.com/x' },
        'url must be an http: or https: URL without credentials (pass a key as accessKey); got "https://(credentials not shown)@example.com/x"',
      ],
      [
        { url: 'https://example.com/', retryDurationMs: 7_200_001 },
        'retryDurationMs must be a finite number ≥ 0 and ≤ 7200000 (ms); got 7200001',
      ],
      [{ url: 'https://example.com/', requestTimeoutMs: 0 }, 'requestTimeoutMs must be an integer ≥ 1 and ≤ 3600000 (ms); got 0'],
      [{ url: 'https://example.com/', contentEncoding: 'gzip' }, "contentEncoding must be 'NONE' or 'GZIP'; got \"gzip\""],
      [
        { url: 'https://example.com/', commonAttributes: { n: 1 } },
        'commonAttributes must be an object of at most 50 string values, names of 1–256 and values of 0–1024 characters (it has a value of type number for "n"; values are strings); got a value of type Object',
      ],
      [
        { url: 'https://example.com/', commonAttributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, ''])) },
        'commonAttributes must be an object of at most 50 string values, names of 1–256 and values of 0–1024 characters (it has 51 entries; at most 50 are allowed); got a value of type Object',
      ],
      [
        { url: 'https://example.com/', accessKey: '' },
        'accessKey must be 1 to 4096 printable ASCII characters; got "a string of 0 characters (not shown)"',
      ],
      [
        { url: 'https://example.com/', sourceArn: 'arn:aws:s3:::bucket' },
        'sourceArn must be a Firehose stream ARN: arn:aws:firehose:<region>:<12-digit account>:deliverystream/<name>; got "arn:aws:s3:::bucket"',
      ],
      [
        { url: 'https://example.com/', sourceArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/a', streamName: 'b' },
        'streamName must be left out when sourceArn is given (the ARN names them); got "b"',
      ],
      [
        { url: 'https://example.com/', streamName: 'a/b' },
        'streamName must be 1 to 64 characters of a–z, A–Z, 0–9, "_", "." and "-"; got "a/b"',
      ],
      [{ url: 'https://example.com/', accountId: '12345' }, 'accountId must be a 12-digit AWS account id, as a string; got "12345"'],
      [{ url: 'http://example.com/', ca: 'PEM' }, 'ca must be used only with an https: url; got "(certificates)"'],
      [{ url: 'https://example.com/', agent: {} }, 'agent must be an http.Agent or https.Agent; got a value of type Object'],
    ])('should refuse %j at construction', (options, message) => {
      expect(() => httpEndpointDestination(options as HttpEndpointDestinationOptions)).toThrow(
        new InvalidOptionError('httpEndpointDestination', '', '', '').constructor as typeof Error,
      );
      expect(() => httpEndpointDestination(options as HttpEndpointDestinationOptions)).toThrow(`httpEndpointDestination: ${message}`);
    });
  });
});
