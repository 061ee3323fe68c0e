import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  appendDelimiterToRecord,
  deaggregateRecords,
  InvalidOptionError,
  UndeliverableRecordsError,
  type FirehoseRecord,
} from '../../src/index.js';
import { memoryDestination, trackSettlements } from '../../src/testing/index.js';
import { failuresIn, rec, texts } from './support.js';

const run = (records: FirehoseRecord[], operator: ReturnType<typeof deaggregateRecords>): Promise<FirehoseRecord[]> =>
  lastValueFrom(from(records).pipe(operator, toArray()));

describe('deaggregateRecords', () => {
  it('should split JSON objects written one after another or one per line, keeping metadata', async () => {
    const original: FirehoseRecord = {
      ...rec('r1', '{"a":1}{"a":"}{"}\n {"b":[1,{"c":2}]}\r\n', 42),
      partitionKeys: { k: 'v' },
    };
    const out = await run([original, rec('r2', '{"only":true}')], deaggregateRecords({ subRecordType: 'JSON' }));
    expect(texts(out)).toEqual(['{"a":1}', '{"a":"}{"}', '{"b":[1,{"c":2}]}', '{"only":true}']);
    expect(out.map((r) => r.recordId)).toEqual(['r1-0', 'r1-1', 'r1-2', 'r2']);
    expect(out.slice(0, 3).every((r) => r.approximateArrivalTimestamp === 42 && r.partitionKeys?.k === 'v')).toBe(true);
  });

  it('should split DELIMITED records at the delimiter, leaving out empty pieces', async () => {
    const out = await run(
      [rec('r', 'a##b####c##'), rec('s', '#x#')],
      deaggregateRecords({ subRecordType: 'DELIMITED', delimiter: Buffer.from('IyMjIw==', 'base64') }),
    );
    expect(texts(out)).toEqual(['a##b', 'c##', '#x#']);
    const two = await run([rec('r', 'a##b####c##')], deaggregateRecords({ subRecordType: 'DELIMITED', delimiter: '##' }));
    expect(texts(two)).toEqual(['a', 'b', 'c']);
  });

  it('should send arrays, bare values, invalid JSON and more than 500 sub-records to processing-failed, as they were', async () => {
    const lake = memoryDestination<unknown>();
    const many = '{}'.repeat(501);
    const bad = [
      rec('arr', '[{"a":1},{"a":2}]'),
      rec('bare', '{"a":1} 7'),
      rec('broken', '{"a":1}{"a":}'),
      rec('open', '{"a":'),
      rec('many', many),
    ];
    const log = trackSettlements(bad);
    const out = await run([...bad, rec('ok', '{"z":0}{"z":1}')], deaggregateRecords({ subRecordType: 'JSON', errorOutput: lake }));
    expect(texts(out)).toEqual(['{"z":0}', '{"z":1}']);
    const failures = failuresIn(lake);
    expect(failures.map((f) => [f.type, f.errorCode])).toEqual([
      ...Array(4).fill(['processing-failed', 'RecordDeAggregation.InvalidJson']),
      ['processing-failed', 'RecordDeAggregation.TooManySubRecords'],
    ]);
    expect(failures.map((f) => Buffer.from(f.rawData, 'base64').toString())).toEqual(bad.map((r) => Buffer.from(r.data).toString()));
    expect(log.events.map((e) => e.outcome)).toEqual(Array(5).fill('failed'));
    await expect(run([rec('arr', '[1]')], deaggregateRecords({ subRecordType: 'JSON' }))).rejects.toBeInstanceOf(UndeliverableRecordsError);
  });

  it('should settle the original only when every sub-record settled, failed if any failed', async () => {
    const original = rec('r', '{"a":1}{"a":2}{"a":3}');
    const empty = rec('e', ' \n');
    const log = trackSettlements([original, empty]);
    const out = await run([original, empty], deaggregateRecords({ subRecordType: 'JSON' }));
    expect(log.events).toEqual([{ index: 1, outcome: 'dropped', atMs: 0 }]); // no sub-records: dropped at once
    const { settleRecord } = await import('../../src/index.js');
    settleRecord(out[0], 'delivered');
    settleRecord(out[2], 'failed');
    expect(log.count(0)).toBe(0);
    settleRecord(out[1], 'delivered');
    expect(log.events[1]).toEqual({ index: 0, outcome: 'failed', atMs: 0 });
  });

  it('should emit sub-records in the frame of their record, and pass an error on after earlier failures are written (marbles)', () => {
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ cold, expectObservable }) => {
      const lake = memoryDestination<unknown>({ scheduler, latencyMs: 3 });
      const values = { a: rec('a', '{"n":1}{"n":2}'), b: rec('b', 'nope'), c: rec('c', '{"n":3}') };
      const source = cold('-a-b-c-#', values);
      const out = { x: rec('a-0', '{"n":1}'), y: rec('a-1', '{"n":2}'), z: rec('c', '{"n":3}') };
      //                                  b is written to the error output for 3 ms; c waits for it
      expectObservable(source.pipe(deaggregateRecords({ subRecordType: 'JSON', errorOutput: lake, scheduler }))).toBe('-(xy) 1ms z#', out);
    });
  });

  it('should round-trip any JSON objects and any delimited pieces (property)', async () => {
    const object = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(fc.array(object, { maxLength: 20 }), fc.constantFrom('', '\n', ' \r\n'), async (objects, gap) => {
        const text = objects.map((o) => JSON.stringify(o)).join(gap);
        const out = await run([rec('r', text)], deaggregateRecords({ subRecordType: 'JSON' }));
        expect(texts(out).map((t) => JSON.parse(t))).toEqual(JSON.parse(`[${objects.map((o) => JSON.stringify(o)).join(',')}]`));
      }),
      { numRuns: 200 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^[a-c]{0,5}$/), { maxLength: 20 }),
        fc.stringMatching(/^[#|]{1,3}$/),
        async (pieces, d) => {
          const out = await run([rec('r', pieces.join(d))], deaggregateRecords({ subRecordType: 'DELIMITED', delimiter: d }));
          // Splitting the joined text again yields the non-empty pieces, unless a piece made a delimiter with its neighbours.
          const expected = pieces
            .join(d)
            .split(d)
            .filter((p) => p !== '');
          expect(texts(out)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('should refuse invalid options at the call', () => {
    expect(() => deaggregateRecords({ subRecordType: 'XML' as 'JSON' })).toThrow(InvalidOptionError);
    expect(() => deaggregateRecords({ subRecordType: 'DELIMITED' })).toThrow('deaggregateRecords: delimiter must be');
    expect(() => deaggregateRecords({ subRecordType: 'DELIMITED', delimiter: '' })).toThrow(InvalidOptionError);
    expect(() => deaggregateRecords({ subRecordType: 'JSON', delimiter: ',' })).toThrow(InvalidOptionError);
  });
});

describe('appendDelimiterToRecord', () => {
  it('should append \\n by default and any delimiter given, always', async () => {
    const records = [rec('a', '{"n":1}'), rec('b', 'x\n')];
    const out = await lastValueFrom(from(records).pipe(appendDelimiterToRecord(), toArray()));
    expect(texts(out)).toEqual(['{"n":1}\n', 'x\n\n']);
    const crlf = await lastValueFrom(from([rec('a', 'l')]).pipe(appendDelimiterToRecord({ delimiter: '\r\n' }), toArray()));
    expect(texts(crlf)).toEqual(['l\r\n']);
    expect(() => appendDelimiterToRecord({ delimiter: '' })).toThrow(InvalidOptionError);
  });
});
