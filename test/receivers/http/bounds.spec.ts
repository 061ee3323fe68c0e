import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { httpEndpointListener, type HttpEndpointListenerOptions } from '../../../src/receivers/http/index.js';
import { parseRequestBody } from '../../../src/protocols/httpEndpoint/parseRequestBody.js';
import { MAX_JSON_DEPTH, parseRequestBodyResponsively } from '../../../src/protocols/httpEndpoint/parseRequestBodyResponsively.js';
import { Rejection } from '../../../src/protocols/httpEndpoint/Rejection.js';
import { rawRequest, startServer, type TestServer } from './support.js';

// The receiver's bounds: what an unauthenticated, greedy or malicious sender can make it hold or wait for.
const KEY = 'k3y-for-the-bounds-tests';
const REQUEST_ID = 'r-1';
const headers = (contentLength: number | undefined, key = KEY): string =>
  [
    'POST / HTTP/1.1',
    'Host: 127.0.0.1',
    'X-Amz-Firehose-Protocol-Version: 1.0',
    `X-Amz-Firehose-Request-Id: ${REQUEST_ID}`,
    'X-Amz-Firehose-Source-Arn: arn:aws:firehose:us-east-1:000000000000:deliverystream/s',
    `X-Amz-Firehose-Access-Key: ${key}`,
    'Content-Type: application/json',
    contentLength === undefined ? 'Transfer-Encoding: chunked' : `Content-Length: ${contentLength}`,
    '',
    '',
  ].join('\r\n');

/** A raw connection that collects what the server sends, and tells when the server closed its side. */
function open(port: number): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // a reset after the server's close is fine
    const ended = new Promise<void>((done) => {
      socket.once('end', () => done());
      socket.once('close', () => done());
    });
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks).toString('latin1'), ended }));
    socket.once('error', reject);
  });
}

const body = (records: number, dataChars = 8): string =>
  JSON.stringify({
    requestId: REQUEST_ID,
    timestamp: 1,
    records: Array.from({ length: records }, () => ({ data: 'A'.repeat(dataChars) })),
  });

describe('httpEndpointListener bounds', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const listen = async (options: HttpEndpointListenerOptions = {}): Promise<{ port: number; calls: number[] }> => {
    const calls: number[] = [];
    server = await startServer(httpEndpointListener((records) => void calls.push(records.length), { accessKey: KEY, ...options }));
    return { port: server.port, calls };
  };

  it('should answer 401 and close the connection at once, without waiting for a trickling body', async () => {
    const { port } = await listen();
    const client = await open(port);
    client.socket.write(headers(10_000_000, 'wrong-key'));
    client.socket.write('{"requestId":'); // …and the sender would go on trickling for ever
    await client.ended;
    expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(client.received()).toMatch(/\r\nConnection: close\r\n/i);
    client.socket.destroy();
  });

  it('should answer 401 and close when the key is missing, with a chunked body', async () => {
    const { port } = await listen();
    const client = await open(port);
    client.socket.write(headers(undefined, '').replace('X-Amz-Firehose-Access-Key: \r\n', ''));
    client.socket.write('5\r\n{"req\r\n');
    await client.ended;
    expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
    client.socket.destroy();
  });

  it('should refuse with 503, and close, a body that would pass maxConcurrentBodyBytes; take it again once there is room', async () => {
    // The first request's body stays held while its handler runs.
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const calls: number[] = [];
    server = await startServer(
      httpEndpointListener(
        async (records) => {
          calls.push(records.length);
          if (calls.length === 1) {
            entered();
            await new Promise<void>((resolve) => (release = resolve));
          }
        },
        { accessKey: KEY, maxBodyBytes: 1_000, maxConcurrentBodyBytes: 1_500 },
      ),
    );
    const { port } = server;
    const first = body(10, 60); // about 840 bytes
    expect(first.length).toBeLessThan(1_000);
    const answered = rawRequest(port, { headers: rawHeaders(first), body: first });
    await inHandler;
    // A second one that declares 900 bytes does not fit beside it: refused before it is read.
    const b = await open(port);
    b.socket.write(headers(900));
    await b.ended;
    expect(b.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(b.received()).toContain('is full; retry later');
    b.socket.destroy();
    // Nor does a chunked one once it has sent 800 bytes.
    const c = await open(port);
    c.socket.write(headers(undefined));
    c.socket.write(`320\r\n${'x'.repeat(800)}\r\n`);
    await c.ended;
    expect(c.received()).toMatch(/^HTTP\/1\.1 503 /);
    c.socket.destroy();
    // The first completes, and its bytes are given back.
    release();
    expect((await answered).status).toBe(200);
    const again = await rawRequest(port, { headers: rawHeaders(first), body: first });
    expect(again.status).toBe(200);
    expect(calls).toEqual([10, 10]);
  });

  it(`should refuse JSON nested deeper than ${MAX_JSON_DEPTH} levels with 400, wherever the nesting is`, async () => {
    const { port, calls } = await listen();
    const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    for (const text of [
      deep(200_000),
      `{"requestId":"${REQUEST_ID}","records":[{"data":"AAAA","x":${deep(100)}}]}`,
      `{"requestId":"${REQUEST_ID}","x":${'{"a":'.repeat(50)}1${'}'.repeat(50)},"records":[{"data":"AAAA"}]}`,
    ]) {
      const res = await rawRequest(port, { headers: rawHeaders(text), body: text });
      expect(res.status).toBe(400);
      expect(res.json?.['errorMessage']).toBe(`the body nests JSON deeper than ${MAX_JSON_DEPTH} levels`);
    }
    expect(calls).toEqual([]);
  });

  it('should refuse invalid bounds at construction', () => {
    expect(() => httpEndpointListener(() => undefined, { maxBodyBytes: 1_000, maxConcurrentBodyBytes: 999 })).toThrow(
      'httpEndpointListener: maxConcurrentBodyBytes must be an integer ≥ 1000 (bytes, at least maxBodyBytes); got 999',
    );
    expect(() => httpEndpointListener(() => undefined, { scheduler: null as never })).toThrow('httpEndpointListener: scheduler must be');
  });
});

describe('parseRequestBodyResponsively', () => {
  /** The outcome of a parser: the records' bytes and the envelope, or the rejection's status. */
  const outcome = async (parse: () => unknown): Promise<unknown> => {
    try {
      const r = (await parse()) as Awaited<ReturnType<typeof parseRequestBodyResponsively>>;
      return { requestId: r.requestId, timestampMs: r.timestampMs, records: r.records.map((x) => x.data.toString('base64')) };
    } catch (err) {
      if (err instanceof Rejection) return err.status;
      throw err;
    }
  };
  const base64 = fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64'));
  const element = fc.oneof(
    fc.record({ data: base64 }),
    fc.record({ data: base64, extra: fc.jsonValue({ maxDepth: 3 }) }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const envelope = fc.record(
    {
      requestId: fc.oneof(fc.constant(REQUEST_ID), fc.string(), fc.integer()),
      timestamp: fc.oneof(fc.integer(), fc.double()),
      records: fc.oneof(fc.array(element, { maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
      other: fc.jsonValue({ maxDepth: 4 }),
    },
    { requiredKeys: [] },
  );
  const layouts = fc.constantFrom<[string, (v: unknown) => string]>(
    ['compact', (v) => JSON.stringify(v)],
    ['indented', (v) => JSON.stringify(v, null, 2)],
    ['tabs', (v) => JSON.stringify(v, null, '\t')],
  );

  it('should decide every body as parsing it whole does (same records, or the same refusal)', async () => {
    await fc.assert(
      fc.asyncProperty(envelope, layouts, async (value, [, layout]) => {
        const bytes = Buffer.from(layout(value));
        expect(await outcome(() => parseRequestBodyResponsively({ bytes }))).toEqual(await outcome(() => parseRequestBody({ bytes })));
      }),
      { numRuns: 300 },
    );
  });

  it('should decide malformed and tricky bodies as parsing them whole does', async () => {
    const texts = [
      '',
      '{',
      '}',
      '[]',
      'null',
      '{"records":[',
      `{"requestId":"r","records":[{"data":"AAAA"},]}`,
      `{"requestId":"r","records":[{"data":"AAAA"} {"data":"AAAA"}]}`,
      `{"requestId":"r","records":[,{"data":"AAAA"}]}`,
      `{"requestId":"r","records":[{"data":"AAAA"}],"records":5}`,
      `{"requestId":"r","records":5,"records":[{"data":"AAAA"}]}`,
      `{"requestId":"r","records":[{"data":"AAAA"}]}trailing`,
      `{"requestId":"r","rec\\u006frds":[{"data":"AAAA"}]}`,
      `{"requestId":"r","x":"\\"records\\":[","records":[ {"data":"AAAA"} , {"data":"BBBB"} ]}`,
      `{"requestId":"r","records":[{"data":"AAAA"}]]}`,
      `{"requestId":"r","records":[{"data":"AAAA"}}]}`,
      `{"requestId":"r","records":[1,true,null]}`,
    ];
    for (const text of texts) {
      const bytes = Buffer.from(text);
      expect(await outcome(() => parseRequestBodyResponsively({ bytes })), text).toEqual(await outcome(() => parseRequestBody({ bytes })));
    }
  });
});

function rawHeaders(text: string): Record<string, string | number> {
  return {
    'X-Amz-Firehose-Protocol-Version': '1.0',
    'X-Amz-Firehose-Request-Id': REQUEST_ID,
    'X-Amz-Firehose-Source-Arn': 'arn:aws:firehose:us-east-1:000000000000:deliverystream/s',
    'X-Amz-Firehose-Access-Key': KEY,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  };
}
