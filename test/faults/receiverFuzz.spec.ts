import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpEndpointListener } from '../../src/receivers/http/index.js';
import { rawRequest, startServer, type TestServer } from '../receivers/http/support.js';

// Fault suite: the receiver under malformed, oversized, nested, slow and unauthenticated requests, many at
// once, with a valid request answered in the middle of them. Bounded, on 127.0.0.1.
const KEY = 'receiver-fuzz-key';
const headers = (body: string | Buffer, key = KEY): Record<string, string | number> => ({
  'X-Amz-Firehose-Protocol-Version': '1.0',
  'X-Amz-Firehose-Request-Id': 'r',
  'X-Amz-Firehose-Source-Arn': 'arn:aws:firehose:us-east-1:000000000000:deliverystream/s',
  'X-Amz-Firehose-Access-Key': key,
  'Content-Type': 'application/json',
  'Content-Length': Buffer.byteLength(body),
});
const valid = JSON.stringify({ requestId: 'r', timestamp: 1, records: [{ data: 'aGVsbG8=' }] });

let server: TestServer | undefined;
let accepted = 0;
beforeAll(async () => {
  server = await startServer(
    httpEndpointListener(() => void accepted++, { accessKey: KEY, maxBodyBytes: 1_048_576, maxConcurrentBodyBytes: 4 * 1_048_576 }),
  );
});
afterAll(async () => {
  await server?.close();
});

/** Opens a connection that sends headers and a first piece of body, then trickles nothing more; resolves with what came back once the server closed it. */
function trickle(port: number, key: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    socket.on('end', () => {
      socket.destroy();
    });
    socket.write(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Firehose-Protocol-Version: 1.0\r\nX-Amz-Firehose-Request-Id: r\r\n` +
        `X-Amz-Firehose-Source-Arn: arn:aws:firehose:us-east-1:000000000000:deliverystream/s\r\nX-Amz-Firehose-Access-Key: ${key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{"requestId":"r","records":[`,
    );
  });
}

describe('fault suite: receiver fuzz', () => {
  it('should answer every hostile request with its 4xx/5xx, close unauthenticated trickles, and keep serving', async () => {
    const port = server!.port;
    const malformed = fc
      .sample(fc.string({ maxLength: 200 }), { seed: 42, numRuns: 40 })
      .concat(fc.sample(fc.json(), { seed: 7, numRuns: 40 }));
    const oversized = [Buffer.alloc(2 * 1_048_576, 0x20).toString()];
    const nested = [`{"requestId":"r","records":[{"data":"AAAA","x":${'['.repeat(5000)}${']'.repeat(5000)}}]}`, '['.repeat(1_000_000)];
    const statuses = new Map<string, Map<number, number>>();
    const count = (kind: string, status: number): void => {
      const m = statuses.get(kind) ?? new Map<number, number>();
      m.set(status, (m.get(status) ?? 0) + 1);
      statuses.set(kind, m);
    };
    const trickles = Array.from({ length: 20 }, (_, i) => trickle(port, i % 2 === 0 ? 'wrong' : ''));
    const requests = [
      ...malformed.map((b) => rawRequest(port, { headers: headers(b), body: b }).then((r) => count('malformed', r.status))),
      ...oversized.map((b) => rawRequest(port, { headers: headers(b), body: b }).then((r) => count('oversized', r.status))),
      ...nested.map((b) => rawRequest(port, { headers: headers(b), body: b }).then((r) => count('nested', r.status))),
      rawRequest(port, { headers: headers(valid), body: valid }).then((r) => count('valid', r.status)),
    ];
    await Promise.all(requests);
    const trickled = await Promise.all(trickles);
    trickled.forEach((t) => count('unauthenticated trickle', Number(/^HTTP\/1\.1 (\d{3})/.exec(t)?.[1] ?? 0)));
    const summary = [...statuses].map(([k, m]) => `${k}: ${[...m].map(([s, c]) => `${c}× ${s}`).join(', ')}`).join('; ');
    console.log(`receiver fuzz: ${summary}; ${accepted} accepted`);
    expect([...statuses.get('malformed')!.keys()].every((s) => s === 400 || s === 200)).toBe(true);
    expect(statuses.get('oversized')).toEqual(new Map([[413, 1]]));
    expect(statuses.get('nested')).toEqual(new Map([[400, 2]]));
    expect(statuses.get('valid')).toEqual(new Map([[200, 1]]));
    expect(statuses.get('unauthenticated trickle')).toEqual(new Map([[401, 20]]));
    // Still serving afterwards.
    expect((await rawRequest(port, { headers: headers(valid), body: valid })).status).toBe(200);
  }, 60_000);
});
