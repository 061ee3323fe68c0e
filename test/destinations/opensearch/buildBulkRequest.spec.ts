import { describe, expect, it } from 'vitest';
import {
  buildBulkRequest,
  documentTargetOf,
  narrowBulkRequest,
  type BulkRequest,
} from '../../../src/destinations/opensearch/buildBulkRequest.js';
import { firehoseDocumentId } from '../../../src/destinations/opensearch/firehoseDocumentId.js';
import type { FirehoseRecord } from '../../../src/index.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const record = (recordId: string, data: string | Uint8Array, arrival = Date.parse('2016-02-25T13:00:00Z')): FirehoseRecord => ({
  recordId,
  data: typeof data === 'string' ? text(data) : data,
  approximateArrivalTimestamp: arrival,
});
const config = { indexName: 'logs', indexRotationPeriod: 'OneDay', typeName: undefined, documentIdFormat: 'FIREHOSE_DEFAULT' } as const;
const build = (batch: unknown[], c: Parameters<typeof documentTargetOf>[0] = config) =>
  buildBulkRequest(batch, 'batch-1', (r, data) => documentTargetOf(c, r, data, Date.parse('2020-01-01T00:00:00Z')), 'OS');
const body = (request: BulkRequest): string => Buffer.concat(request.lines).toString('utf8');

describe('buildBulkRequest', () => {
  it('should write one index action and one document line per record, ids from the record', () => {
    const batch = [record('a', '{"n":1}'), record('b', '{"n":2}\n')];
    const { request, failed } = build(batch);
    expect(failed).toBeUndefined();
    const id = (r: FirehoseRecord) => firehoseDocumentId(r, r.data);
    expect(body(request!)).toBe(
      `{"index":{"_index":"logs-2016-02-25","_id":"${id(batch[0]!)}"}}\n{"n":1}\n` +
        `{"index":{"_index":"logs-2016-02-25","_id":"${id(batch[1]!)}"}}\n{"n":2}\n`,
    );
    expect(request).toMatchObject({ ids: ['batch-1/0'], items: [0, 1], wire: [0, 0], bytes: Buffer.byteLength(body(request!)) });
    expect(request!.targets.map((t) => t.indexName)).toEqual(['logs-2016-02-25', 'logs-2016-02-25']);
  });

  it('should put pretty-printed JSON on one line, keeping its bytes otherwise', () => {
    const { request } = build([record('a', '{\r\n  "msg": "é \\n x",\n  "n": [1,\n 2]\n}\n\n  ')]);
    const doc = body(request!).split('\n')[1]!;
    expect(doc).toBe('{    "msg": "é \\n x",   "n": [1,  2] }');
    expect(JSON.parse(doc)).toEqual({ msg: 'é \n x', n: [1, 2] });
  });

  it('should add _type when a type name is set, and no _id with NO_DOCUMENT_ID', () => {
    const { request } = build([record('a', '{}')], {
      ...config,
      typeName: 'log',
      documentIdFormat: 'NO_DOCUMENT_ID',
      indexRotationPeriod: 'NoRotation',
    });
    expect(body(request!)).toBe('{"index":{"_index":"logs","_type":"log"}}\n{}\n');
  });

  it('should fail records that are not one JSON object in UTF-8, permanently, and leave them out', () => {
    const batch = [
      record('a', 'not json'),
      record('b', '{"ok":true}'),
      record('c', '[1,2]'),
      record('d', '"s"'),
      record('e', new Uint8Array([0x7b, 0xff, 0x7d])),
      { recordId: 'f' },
      record('g', 'null'),
    ];
    const { request, failed } = build(batch);
    expect(request!.items).toEqual([1]);
    expect(failed!.map((f) => [f.index, f.errorCode, f.retriable])).toEqual([
      [0, 'OS.MalformedData', false],
      [2, 'OS.MalformedData', false],
      [3, 'OS.MalformedData', false],
      [4, 'OS.MalformedData', false],
      [5, 'OS.MalformedData', false],
      [6, 'OS.MalformedData', false],
    ]);
    expect(failed![1]!.errorMessage).toContain('an array');
    expect(failed![3]!.errorMessage).toContain('not valid UTF-8');
  });

  it('should build no request when nothing can be sent', () => {
    const built = build([record('a', 'x')]);
    expect(built.request).toBeUndefined();
    expect(built.failed).toHaveLength(1);
  });

  it('should rotate by each record’s arrival time, and by the build time for a record without one', () => {
    const { request } = build([
      record('a', '{}', Date.parse('2016-02-25T23:59:59.999Z')),
      record('b', '{}', Date.parse('2016-02-26T00:00:00Z')),
      { recordId: 'c', data: text('{}') },
    ]);
    expect(request!.targets.map((t) => t.indexName)).toEqual(['logs-2016-02-25', 'logs-2016-02-26', 'logs-2020-01-01']);
  });

  it('should cut a batch into wire requests of at most maxRequestBytes, between documents, each with its own id', () => {
    const batch = Array.from({ length: 5 }, (_, i) => record(`r${i}`, `{"n":${i}}`));
    const one = build(batch).request!;
    const lineBytes = one.lines[0]!.byteLength;
    const { request } = buildBulkRequest(batch, 'b', (r, data) => documentTargetOf(config, r, data, 0), 'OS', 2 * lineBytes);
    expect(request).toMatchObject({ ids: ['b/0', 'b/1', 'b/2'], items: [0, 1, 2, 3, 4], wire: [0, 0, 1, 1, 2] });
    // A document larger than the limit goes alone.
    const big = buildBulkRequest(batch, 'b', (r, data) => documentTargetOf(config, r, data, 0), 'OS', 1).request!;
    expect(big.ids).toHaveLength(5);
  });

  it('should narrow a request to some of its documents, with the very same lines and ids', () => {
    const { request } = build([record('a', '{"n":0}'), record('b', '{"n":1}'), record('c', '{"n":2}')]);
    const narrow = narrowBulkRequest(request!, [0, 2]);
    expect(narrow.ids).toEqual(request!.ids);
    expect(narrow.items).toEqual([0, 2]);
    expect(narrow.lines).toEqual([request!.lines[0], request!.lines[2]]);
    expect(narrow.targets).toEqual([request!.targets[0], request!.targets[2]]);
    expect(narrow.bytes).toBe(request!.lines[0]!.byteLength + request!.lines[2]!.byteLength);
    const split = buildBulkRequest(
      [record('a', '{}'), record('b', '{}'), record('c', '{}')],
      'b',
      (r, data) => documentTargetOf(config, r, data, 0),
      'OS',
      1,
    ).request!;
    expect(narrowBulkRequest(split, [1, 2])).toMatchObject({ ids: ['b/1', 'b/2'], items: [1, 2], wire: [0, 1] });
  });
});

describe('firehoseDocumentId', () => {
  it('should have the shape of Firehose’s ids: 56 digits, a dot, the subsequence number', () => {
    const r = record('r1', '{}');
    expect(firehoseDocumentId(r, r.data)).toMatch(/^\d{56}\.0$/);
    const sub = {
      ...r,
      kinesisRecordMetadata: { shardId: 's', partitionKey: 'p', sequenceNumber: '1', subsequenceNumber: 3, approximateArrivalTimestamp: 0 },
    };
    expect(firehoseDocumentId(sub, r.data)).toMatch(/^\d{56}\.3$/);
  });

  it('should be the same for the same record every time, and differ when its id, arrival time or bytes differ', () => {
    const r = record('r1', '{"a":1}');
    const id = firehoseDocumentId(r, r.data);
    expect(firehoseDocumentId({ ...r }, Uint8Array.from(r.data))).toBe(id);
    expect(firehoseDocumentId(record('r2', '{"a":1}'), r.data)).not.toBe(id);
    expect(firehoseDocumentId(record('r1', '{"a":1}', 1), r.data)).not.toBe(id);
    expect(firehoseDocumentId(r, text('{"a":2}'))).not.toBe(id);
    const ids = new Set(Array.from({ length: 10_000 }, (_, i) => firehoseDocumentId(record(`r${i}`, '{}'), text('{}'))));
    expect(ids.size).toBe(10_000);
  });
});
