import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { planRequests, PROTOCOL_LIMITS, type RequestPlan, type SendableItem } from '../../src/destinations/http/planRequests.js';
import { buildRequestBody } from '../../src/protocols/httpEndpoint/buildRequestBody.js';
import { BODY_OVERHEAD_BYTES, RECORD_OVERHEAD_BYTES } from '../../src/protocols/httpEndpoint/protocol.js';

// The request builder of httpEndpointDestination: how a batch is cut into requests, the ids they carry,
// and their bodies.

const items = (...texts: string[]): SendableItem[] => texts.map((t, index) => ({ index, data: new TextEncoder().encode(t) }));
const shape = (plan: RequestPlan): number[][] => plan.requests.map((r) => r.items.map((i) => i.index));
describe('planRequests', () => {
  it('should send a batch within the limits as one request', () => {
    const plan = planRequests(items('a', 'b', 'c'), 'batch-1', PROTOCOL_LIMITS);
    expect(shape(plan)).toEqual([[0, 1, 2]]);
    expect(plan.tooLarge).toEqual([]);
  });

  it('should cut at maxRecords records', () => {
    const plan = planRequests(items('a', 'b', 'c', 'd', 'e'), 'b', { ...PROTOCOL_LIMITS, maxRecords: 2 });
    expect(shape(plan)).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('should cut so that no body exceeds maxBodyBytes, and fill each body up to it', () => {
    // 'abc' is 4 base64 characters: 11 + 4 = 15 bytes of JSON, plus a comma after the first.
    const perRecord = RECORD_OVERHEAD_BYTES + 4;
    const maxBodyBytes = BODY_OVERHEAD_BYTES + perRecord * 3 + 2; // three records and their two commas fit exactly
    const plan = planRequests(items('abc', 'abc', 'abc', 'abc', 'abc', 'abc', 'abc'), 'b', { ...PROTOCOL_LIMITS, maxBodyBytes });
    expect(shape(plan)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const tighter = planRequests(items('abc', 'abc', 'abc', 'abc'), 'b', { ...PROTOCOL_LIMITS, maxBodyBytes: maxBodyBytes - 1 });
    expect(shape(tighter)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('should leave out records over maxRecordBytes', () => {
    const plan = planRequests(items('a', 'toolong', 'b'), 'b', { ...PROTOCOL_LIMITS, maxRecordBytes: 3 });
    expect(plan.tooLarge).toEqual([1]);
    expect(shape(plan)).toEqual([[0, 2]]);
  });

  it('should give the same id to the same records of the same batch, and another to anything else', () => {
    const id = (batchId: string, ...texts: string[]) => planRequests(items(...texts), batchId, PROTOCOL_LIMITS).requests[0]!.requestId;
    expect(id('b1', 'x', 'y')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id('b1', 'x', 'y')).toBe(id('b1', 'x', 'y'));
    expect(id('b1', 'x', 'y')).not.toBe(id('b2', 'x', 'y'));
    expect(id('b1', 'x', 'y')).not.toBe(id('b1', 'y', 'x'));
    expect(id('b1', 'x', 'y')).not.toBe(id('b1', 'xy'));
    expect(id('b1', 'x', 'y')).not.toBe(id('b1', 'x', 'y', ''));
  });

  it('should give byte-identical requests of one batch distinct ids', () => {
    // A batch is planned once; its retries resend these requests, so each keeps its id by construction.
    const first = planRequests(items('ping', 'ping', 'ping', 'ping'), 'b', { ...PROTOCOL_LIMITS, maxRecords: 2 });
    const [one, two] = first.requests.map((r) => r.requestId);
    expect(one).not.toBe(two);
  });
});

describe('buildRequestBody', () => {
  const plan = planRequests(items('hello', 'hello world', ''), 'b', PROTOCOL_LIMITS);
  const request = plan.requests[0]!;

  it('should write the protocol JSON, exactly', async () => {
    const body = Buffer.from(await buildRequestBody(request, 1578090901599.7, false));
    expect(body.toString()).toBe(
      `{"requestId":"${request.requestId}","timestamp":1578090901599,"records":[{"data":"aGVsbG8="},{"data":"aGVsbG8gd29ybGQ="},{"data":""}]}`,
    );
  });

  it('should stay within the size the planner counted', async () => {
    const body = await buildRequestBody(request, Number.MAX_SAFE_INTEGER, false);
    const counted = request.items.reduce(
      (n, i, k) => n + RECORD_OVERHEAD_BYTES + 4 * Math.ceil(i.data.byteLength / 3) + (k > 0 ? 1 : 0),
      0,
    );
    expect(body.byteLength).toBeLessThanOrEqual(counted + BODY_OVERHEAD_BYTES);
  });

  it('should gzip it', async () => {
    const plain = await buildRequestBody(request, 1, false);
    const gzipped = await buildRequestBody(request, 1, true);
    expect(gunzipSync(gzipped)).toEqual(Buffer.from(plain));
  });
});
