import { describe, expect, it } from 'vitest';
import { scanPutRecordBatch } from '../../src/server/scanPutRecordBatch.js';

const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** What JSON.parse and Node's base64 decoding make of a body: the name and each record's bytes. */
function viaJson(bytes: Buffer): { DeliveryStreamName: string; Records: Array<{ Data: Buffer }> } {
  const parsed = JSON.parse(bytes.toString('utf8')) as { DeliveryStreamName: string; Records: Array<{ Data: string }> };
  return { DeliveryStreamName: parsed.DeliveryStreamName, Records: parsed.Records.map((r) => ({ Data: Buffer.from(r.Data, 'base64') })) };
}

/** `bytes` cut at `cuts` (sorted offsets) into chunks, as a socket may deliver them. */
function cut(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.byteLength]) {
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  return chunks;
}

describe('scanPutRecordBatch', () => {
  it('should read the compact form AWS SDKs send exactly as JSON.parse and base64 decoding do', () => {
    const request = {
      DeliveryStreamName: 'a.b_c-1',
      Records: [{ Data: 'aGVsbG8=' }, { Data: '' }, { Data: 'd29ybGQK' }, { Data: 'YQ==' }, { Data: '+/+/' }],
    };
    expect(scanPutRecordBatch([body(request)])).toEqual(viaJson(body(request)));
    expect(scanPutRecordBatch([body({ DeliveryStreamName: 'x', Records: [] })])).toEqual({ DeliveryStreamName: 'x', Records: [] });
  });

  it('should read a body cut into chunks at any place the same as whole', () => {
    const records = Array.from({ length: 7 }, (_, i) => ({ Data: Buffer.from(`record ${i} ${'x'.repeat(i * 5)}\n`).toString('base64') }));
    const bytes = body({ DeliveryStreamName: 'stream', Records: records });
    const whole = viaJson(bytes);
    for (let at = 0; at <= bytes.byteLength; at++) {
      expect(scanPutRecordBatch(cut(bytes, [at])), `cut at ${at}`).toEqual(whole);
      expect(scanPutRecordBatch(cut(bytes, [Math.floor(at / 2), at])), `cut at ${Math.floor(at / 2)} and ${at}`).toEqual(whole);
    }
    // One byte per chunk.
    expect(
      scanPutRecordBatch(
        cut(
          bytes,
          Array.from({ length: bytes.byteLength - 1 }, (_, i) => i + 1),
        ),
      ),
    ).toEqual(whole);
  });

  it('should decode each request into one buffer, never much larger than its records', () => {
    const small = body({ DeliveryStreamName: 's', Records: Array.from({ length: 100 }, () => ({ Data: 'YQ==' })) });
    const scanned = scanPutRecordBatch([small])!;
    expect(scanned.Records.map((r) => r.Data.toString())).toEqual(Array(100).fill('a'));
    const memory = scanned.Records[0]!.Data.buffer;
    expect(scanned.Records.every((r) => r.Data.buffer === memory)).toBe(true);
    expect(memory.byteLength).toBeLessThanOrEqual(Math.max(100 * (4 / 3), 8192)); // a small copy, or a slice of Node's pool
  });

  it('should leave every other form, and data that is not plain base64, to the JSON parser', () => {
    const forms = [
      '{"DeliveryStreamName": "x", "Records": [{"Data": "aGk="}]}', // spaces, as some clients send
      JSON.stringify({ Records: [{ Data: 'aGk=' }], DeliveryStreamName: 'x' }), // another key order
      JSON.stringify({ DeliveryStreamName: 'x\\"y', Records: [] }), // an escape in the name
      JSON.stringify({ DeliveryStreamName: 'x', Records: [{ Data: 'aGk=', Extra: 1 }] }),
      JSON.stringify({ DeliveryStreamName: 'x', Records: [{ Data: 'aGk=' }] }) + ' ', // trailing bytes
      '{"DeliveryStreamName":"x","Records":[{"Data":"aGk="}', // cut short
      '{"DeliveryStreamName":"x","Records":[{"Data":"aGk="},]}',
      '{"DeliveryStreamName":"x","Records":[{"Data":"a\\/k"}]}', // a JSON escape in the data
      '{"DeliveryStreamName":"x","Records":[{"Data":"no*base64!!!"}]}', // not base64
      '{"DeliveryStreamName":"x","Records":[{"Data":"aGk"}]}', // not a whole base64 quantum
      '',
    ];
    for (const form of forms) expect(scanPutRecordBatch([Buffer.from(form)]), form).toBeUndefined();
    expect(scanPutRecordBatch([])).toBeUndefined();
  });
});
