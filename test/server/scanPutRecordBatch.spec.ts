import { describe, expect, it } from 'vitest';
import { scanPutRecordBatch } from '../../src/server/scanPutRecordBatch.js';

const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('scanPutRecordBatch', () => {
  it('should read the compact form AWS SDKs send exactly as JSON.parse does', () => {
    const request = { DeliveryStreamName: 'a.b_c-1', Records: [{ Data: 'aGVsbG8=' }, { Data: '' }, { Data: 'd29ybGQK' }] };
    expect(scanPutRecordBatch(body(request))).toEqual(request);
    expect(scanPutRecordBatch(body({ DeliveryStreamName: 'x', Records: [] }))).toEqual({ DeliveryStreamName: 'x', Records: [] });
  });

  it('should leave every other form to the JSON parser', () => {
    const forms = [
      '{"DeliveryStreamName": "x", "Records": [{"Data": "aGk="}]}', // spaces, as some clients send
      JSON.stringify({ Records: [{ Data: 'aGk=' }], DeliveryStreamName: 'x' }), // another key order
      JSON.stringify({ DeliveryStreamName: 'x\\"y', Records: [] }), // an escape in the name
      JSON.stringify({ DeliveryStreamName: 'x', Records: [{ Data: 'aGk=', Extra: 1 }] }),
      JSON.stringify({ DeliveryStreamName: 'x', Records: [{ Data: 'aGk=' }] }) + ' ', // trailing bytes
      '{"DeliveryStreamName":"x","Records":[{"Data":"aGk="}', // cut short
      '{"DeliveryStreamName":"x","Records":[{"Data":"aGk="},]}',
      '',
    ];
    for (const form of forms) expect(scanPutRecordBatch(Buffer.from(form)), form).toBeUndefined();
  });
});
