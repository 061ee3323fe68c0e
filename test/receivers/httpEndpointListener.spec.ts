import { Agent, request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/index.js';
import {
  httpEndpointListener,
  type HttpEndpointListenerOptions,
  type HttpEndpointRecord,
  type HttpEndpointRequestMeta,
} from '../../src/receivers/http/index.js';
import { rawRequest, startServer, type RawResponse, type TestServer } from './http/support.js';

// A request exactly as Firehose sends it, from AWS's "HTTP endpoint delivery request and response
// specifications": the body and common attributes of its examples, every header it lists.
const REQUEST_ID = 'ed4acda5-034f-9f42-bba1-f29aea6d7d8f';
const SOURCE_ARN = 'arn:aws:firehose:us-east-1:123456789:deliverystream/testStream';
const KEY = 'k3y-for-the-listener-tests';
const EXAMPLE_BODY = `{
  "requestId": "${REQUEST_ID}",
  "timestamp": 1578090901599,
  "records": [
    {
      "data": "aGVsbG8="
    },
    {
      "data": "aGVsbG8gd29ybGQ="
    }
  ]
}`;
const firehoseHeaders = (body: string | Uint8Array, extra: Record<string, string | undefined> = {}): Record<string, string | number> => {
  const headers: Record<string, string | number | undefined> = {
    'X-Amz-Firehose-Protocol-Version': '1.0',
    'X-Amz-Firehose-Request-Id': REQUEST_ID,
    'X-Amz-Firehose-Source-Arn': SOURCE_ARN,
    'X-Amz-Firehose-Access-Key': KEY,
    'X-Amz-Firehose-Common-Attributes': '{"commonAttributes":{"deployment -context":"pre-prod-gamma","device-types":""}}',
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...extra,
  };
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string | number] => e[1] !== undefined));
};
const bodyWith = (fields: Record<string, unknown>): string =>
  JSON.stringify({ requestId: REQUEST_ID, timestamp: 1578090901599, records: [{ data: 'aGVsbG8=' }], ...fields });

/** The receiving clock, fixed so the answers' timestamps are known. */
const clock: SchedulerLike = { now: () => 1578090903599, schedule: asyncScheduler.schedule.bind(asyncScheduler) };

describe('httpEndpointListener', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Starts a listener whose handler records its calls, and returns them. */
  async function listen(
    options: HttpEndpointListenerOptions = {},
    handler?: (records: HttpEndpointRecord[], meta: HttpEndpointRequestMeta) => Promise<void> | void,
  ) {
    const calls: Array<{ records: string[]; meta: HttpEndpointRequestMeta }> = [];
    server = await startServer(
      httpEndpointListener(
        async (records, meta) => {
          calls.push({ records: records.map((r) => r.data.toString('utf8')), meta });
          await handler?.(records, meta);
        },
        { accessKey: KEY, scheduler: clock, ...options },
      ),
    );
    return { calls, port: server.port };
  }

  const expectProtocolAnswer = (res: RawResponse, status: number, requestId = REQUEST_ID): void => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/json');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    if (status === 200) expect(res.json).toEqual({ requestId, timestamp: 1578090903599 });
    else expect(res.json).toEqual({ requestId, timestamp: 1578090903599, errorMessage: expect.any(String) });
  };

  it('should accept a request exactly as Firehose sends it, hand over the decoded records and metadata, and answer 200 {requestId, timestamp}', async () => {
    const { calls, port } = await listen();
    const res = await rawRequest(port, { headers: firehoseHeaders(EXAMPLE_BODY), body: EXAMPLE_BODY });
    expectProtocolAnswer(res, 200);
    expect(calls).toEqual([
      {
        records: ['hello', 'hello world'],
        meta: {
          requestId: REQUEST_ID,
          sourceArn: SOURCE_ARN,
          commonAttributes: { 'deployment -context': 'pre-prod-gamma', 'device-types': '' },
          timestampMs: 1578090901599,
        },
      },
    ]);
  });

  it('should accept a gzipped body (Content-Encoding: gzip) with binary and empty records, and no common attributes', async () => {
    const received: Array<{ data: Buffer[]; meta: HttpEndpointRequestMeta }> = [];
    server = await startServer(
      httpEndpointListener((records, meta) => void received.push({ data: records.map((r) => r.data), meta }), { scheduler: clock }),
    );
    const binary = Buffer.from([0, 255, 10, 13, 0x80]);
    const body = gzipSync(
      JSON.stringify({ requestId: REQUEST_ID, timestamp: 1, records: [{ data: binary.toString('base64') }, { data: '' }] }),
    );
    const res = await rawRequest(server.port, {
      headers: firehoseHeaders(body, { 'Content-Encoding': 'gzip', 'X-Amz-Firehose-Common-Attributes': undefined }),
      body,
    });
    expectProtocolAnswer(res, 200);
    expect(received).toEqual([
      { data: [binary, Buffer.alloc(0)], meta: { requestId: REQUEST_ID, sourceArn: SOURCE_ARN, commonAttributes: {}, timestampMs: 1 } },
    ]);
  });

  it('should answer 500 with the handler error as errorMessage, so the sender retries', async () => {
    const { port } = await listen({}, () => {
      throw new Error('the database is down');
    });
    const res = await rawRequest(port, { headers: firehoseHeaders(EXAMPLE_BODY), body: EXAMPLE_BODY });
    expectProtocolAnswer(res, 500);
    expect(res.json!.errorMessage).toBe('the database is down');
  });

  it("should answer with a handler error's statusCode when it is 400–599", async () => {
    const { port } = await listen({}, async () => {
      throw Object.assign(new Error('slow down'), { statusCode: 429 });
    });
    const res = await rawRequest(port, { headers: firehoseHeaders(EXAMPLE_BODY), body: EXAMPLE_BODY });
    expectProtocolAnswer(res, 429);
    expect(res.json!.errorMessage).toBe('slow down');
  });

  const gzipBomb = gzipSync(Buffer.alloc(4096, 0x20)); // 4 KiB of spaces: valid, but too big once inflated
  const refusals: Array<
    [
      string,
      { maxBodyBytes?: number; method?: string; headers?: Record<string, string | undefined>; body?: string | Uint8Array },
      number,
      RegExp,
      string?,
    ]
  > = [
    ['GET', { method: 'GET', body: '' }, 405, /GET is not allowed/],
    ['no access key', { headers: { 'X-Amz-Firehose-Access-Key': undefined } }, 401, /no X-Amz-Firehose-Access-Key/],
    ['a wrong access key', { headers: { 'X-Amz-Firehose-Access-Key': 'k3y-for-the-listener-testz' } }, 401, /not valid/],
    ['a wrong access key of another length', { headers: { 'X-Amz-Firehose-Access-Key': 'x' } }, 401, /not valid/],
    [
      'no protocol version',
      { headers: { 'X-Amz-Firehose-Protocol-Version': undefined } },
      400,
      /Protocol-Version must be 1\.0; it is missing/,
    ],
    ['protocol version 2.0', { headers: { 'X-Amz-Firehose-Protocol-Version': '2.0' } }, 400, /must be 1\.0; got "2\.0"/],
    ['no request id', { headers: { 'X-Amz-Firehose-Request-Id': undefined } }, 400, /no X-Amz-Firehose-Request-Id/, ''],
    ['no source ARN', { headers: { 'X-Amz-Firehose-Source-Arn': undefined } }, 400, /no X-Amz-Firehose-Source-Arn/],
    ['common attributes that are not JSON', { headers: { 'X-Amz-Firehose-Common-Attributes': 'env=prod' } }, 400, /not JSON/],
    [
      'a common attribute that is not a string',
      { headers: { 'X-Amz-Firehose-Common-Attributes': '{"commonAttributes":{"n":1}}' } },
      400,
      /value of type number/,
    ],
    ['Content-Type text/plain', { headers: { 'Content-Type': 'text/plain' } }, 415, /must be application\/json; got "text\/plain"/],
    ['Content-Encoding br', { headers: { 'Content-Encoding': 'br' } }, 415, /gzip or none; got "br"/],
    ['a body that is not JSON', { body: '{"requestId": "ed4a' }, 400, /not valid JSON/],
    ['a JSON array', { body: '[]' }, 400, /must be a JSON object/],
    ['a body without requestId', { body: '{"records":[{"data":"aGVsbG8="}]}' }, 400, /requestId is missing/],
    ['a requestId other than the header', { body: bodyWith({ requestId: 'other' }) }, 400, /differs from X-Amz-Firehose-Request-Id/],
    ['a string timestamp', { body: bodyWith({ timestamp: '1578090901599' }) }, 400, /timestamp must be an integer/],
    ['no records', { body: bodyWith({ records: [] }) }, 400, /records has 0 items/],
    [
      '10,001 records',
      { maxBodyBytes: 1 << 20, body: bodyWith({ records: Array(10_001).fill({ data: '' }) }) },
      400,
      /records has 10001 items; a request carries 1 to 10000/,
    ],
    ['a record without data', { body: bodyWith({ records: [{ data: 'aGVsbG8=' }, {}] }) }, 400, /records\[1\]\.data is missing/],
    ['data that is not base64', { body: bodyWith({ records: [{ data: 'aGVsbG8' }] }) }, 400, /records\[0\]\.data is not valid base64/],
    ['data in base64url', { body: bodyWith({ records: [{ data: '-_-_' }] }) }, 400, /not valid base64/],
    ['a gzip body that is not gzip', { headers: { 'Content-Encoding': 'gzip' } }, 400, /not valid gzip/],
    [
      'a body over maxBodyBytes',
      { body: bodyWith({ records: [{ data: Buffer.alloc(3000).toString('base64') }] }) },
      413,
      /has \d+ bytes; this endpoint accepts at most 2048/,
    ],
    [
      'a chunked body over maxBodyBytes',
      {
        headers: { 'Content-Length': undefined, 'Transfer-Encoding': 'chunked' },
        body: bodyWith({ records: [{ data: Buffer.alloc(3000).toString('base64') }] }),
      },
      413,
      /exceeds 2048 bytes/,
    ],
    [
      'a gzip body over maxBodyBytes once inflated',
      { headers: { 'Content-Encoding': 'gzip' }, body: gzipBomb },
      413,
      /exceeds 2048 bytes once decompressed/,
    ],
  ];

  it.each(refusals)(
    'should refuse %s with the right status and a clear errorMessage, without calling the handler',
    async (_name, change, status, message, requestId = REQUEST_ID) => {
      const { calls, port } = await listen({ maxBodyBytes: change.maxBodyBytes ?? 2048 });
      const body = change.body ?? EXAMPLE_BODY;
      const res = await rawRequest(port, { method: change.method ?? 'POST', headers: firehoseHeaders(body, change.headers), body });
      expectProtocolAnswer(res, status, requestId);
      expect(res.json!.errorMessage).toMatch(message);
      if (status === 405) expect(res.headers.allow).toBe('POST');
      expect(calls).toEqual([]);
      // The configured key is never echoed.
      expect(res.text).not.toContain(KEY);
    },
  );

  it('should refuse a delivery stream not among sourceArns with 403', async () => {
    const { calls, port } = await listen({ sourceArns: ['arn:aws:firehose:us-east-1:123456789012:deliverystream/other'] });
    const res = await rawRequest(port, { headers: firehoseHeaders(EXAMPLE_BODY), body: EXAMPLE_BODY });
    expectProtocolAnswer(res, 403);
    expect(res.json!.errorMessage).toBe(`the delivery stream ${SOURCE_ARN} may not deliver to this endpoint`);
    expect(calls).toEqual([]);
  });

  it('should accept any of several access keys (rotation), and need none when none is configured', async () => {
    const { port } = await listen({ accessKey: ['old-key', KEY] });
    expect((await rawRequest(port, { headers: firehoseHeaders(EXAMPLE_BODY), body: EXAMPLE_BODY })).status).toBe(200);
    expect(
      (await rawRequest(port, { headers: firehoseHeaders(EXAMPLE_BODY, { 'X-Amz-Firehose-Access-Key': 'old-key' }), body: EXAMPLE_BODY }))
        .status,
    ).toBe(200);
    await server!.close();
    server = await startServer(httpEndpointListener(() => undefined, { scheduler: clock }));
    const open = await rawRequest(server.port, {
      headers: firehoseHeaders(EXAMPLE_BODY, { 'X-Amz-Firehose-Access-Key': undefined }),
      body: EXAMPLE_BODY,
    });
    expect(open.status).toBe(200);
  });

  it('should keep the connection usable after refusing a body that is too large', async () => {
    const { calls, port } = await listen({ maxBodyBytes: 2048 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: string) =>
      new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: firehoseHeaders(body) }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, socket: req.socket }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const big = await send(bodyWith({ records: [{ data: Buffer.alloc(60_000).toString('base64') }] }));
      const ok = await send(EXAMPLE_BODY);
      expect([big.status, ok.status]).toEqual([413, 200]);
      expect(ok.socket).toBe(big.socket);
      expect(calls).toHaveLength(1);
    } finally {
      agent.destroy();
    }
  });

  it('should take a body a framework already parsed (express.json()) or read as bytes (express.raw())', async () => {
    const seen: string[][] = [];
    const listener = httpEndpointListener((records) => void seen.push(records.map((r) => r.data.toString())), { scheduler: clock });
    server = await startServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        // What body parsers leave behind: the parsed JSON for one route, the raw (still gzipped) bytes for the other.
        (req as typeof req & { body?: unknown }).body = req.url === '/json' ? JSON.parse(raw.toString()) : raw;
        listener(req, res);
      });
    });
    const gz = gzipSync(EXAMPLE_BODY);
    const a = await rawRequest(server.port, { path: '/json', headers: firehoseHeaders(EXAMPLE_BODY), body: EXAMPLE_BODY });
    const b = await rawRequest(server.port, { path: '/raw', headers: firehoseHeaders(gz, { 'Content-Encoding': 'gzip' }), body: gz });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(seen).toEqual([
      ['hello', 'hello world'],
      ['hello', 'hello world'],
    ]);
  });

  it('should refuse invalid options at construction, never showing an access key', () => {
    const secret = 'line\nbreak-secret-value';
    expect(() => httpEndpointListener(() => undefined, { accessKey: secret })).toThrow(InvalidOptionError);
    try {
      httpEndpointListener(() => undefined, { accessKey: secret });
    } catch (err) {
      expect((err as Error).message).toBe(
        'httpEndpointListener: accessKey must be 1 to 4096 printable ASCII characters, or a non-empty array of such keys; got "a string of 23 characters (not shown)"',
      );
      expect(JSON.stringify(err)).not.toContain('secret-value');
    }
    expect(() => httpEndpointListener(() => undefined, { accessKey: [] })).toThrow(/accessKey must be/);
    expect(() => httpEndpointListener(() => undefined, { maxBodyBytes: 0 })).toThrow(
      /maxBodyBytes must be an integer ≥ 1 and ≤ 1073741824 \(bytes\); got 0/,
    );
    expect(() => httpEndpointListener(() => undefined, { sourceArns: 'arn' as unknown as string[] })).toThrow(
      /sourceArns must be an array/,
    );
    expect(() => httpEndpointListener('handler' as never)).toThrow(/handler must be a function/);
  });
});
