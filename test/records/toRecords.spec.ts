import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import {
  byteSizeOf,
  toRecords,
  InvalidOptionError,
  Settlement,
  attachSettlement,
  settlementOf,
  type FirehoseRecord,
} from '../../src/index.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('toRecords', () => {
  it('should turn strings, bytes and objects into records with ids and arrival times from the scheduler', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const raw = new Uint8Array([1, 2, 3]);
      const source = cold('-a-b--c|', { a: 'héllo', b: raw, c: { n: 1, s: 'x' } });
      expectObservable(source.pipe(toRecords())).toBe('-A-B--C|', {
        A: { recordId: '1-0', data: bytes('héllo'), approximateArrivalTimestamp: 1 },
        B: { recordId: '3-1', data: raw, approximateArrivalTimestamp: 3 },
        C: { recordId: '6-2', data: bytes('{"n":1,"s":"x"}'), approximateArrivalTimestamp: 6 },
      });
    });
  });

  it("should append a newline when asked (Firehose's AppendDelimiterToRecord), but not a second one", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab|', { a: { n: 1 }, b: 'line\n' });
      expectObservable(source.pipe(toRecords({ appendNewline: true, recordIdPrefix: 'p-' }))).toBe('AB|', {
        A: { recordId: 'p-0-0', data: bytes('{"n":1}\n'), approximateArrivalTimestamp: 0 },
        B: { recordId: 'p-1-1', data: bytes('line\n'), approximateArrivalTimestamp: 1 },
      });
    });
  });

  it('should use a custom encoder', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a|', { a: 7 });
      expectObservable(source.pipe(toRecords({ encode: (n: number) => `n=${n}` }))).toBe('A|', {
        A: { recordId: '0-0', data: bytes('n=7'), approximateArrivalTimestamp: 0 },
      });
    });
  });

  it('should error when a value cannot be encoded', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: undefined }).pipe(toRecords())).toBe(
        '#',
        undefined,
        new TypeError('toRecords: cannot encode a value of type undefined as JSON; pass an encode option'),
      );
      expectObservable(cold('a|', { a: 1 }).pipe(toRecords({ encode: () => 5 as never }))).toBe(
        '#',
        undefined,
        new TypeError('toRecords: encode must return a string or bytes; got a value of type number'),
      );
    });
  });

  it('should carry a settlement from an object value to its record', () => {
    const outcomes: string[] = [];
    const value = attachSettlement({ n: 1 }, new Settlement((o) => outcomes.push(o)));
    let record: object | undefined;
    testScheduler().run(({ cold }) => {
      cold('a|', { a: value })
        .pipe(toRecords())
        .subscribe((r) => (record = r));
    });
    expect(settlementOf(value)).toBeUndefined();
    settlementOf(record)!.settle('delivered');
    expect(outcomes).toEqual(['delivered']);
  });

  it('should refuse bad options at the call', () => {
    expect(() => toRecords({ appendNewline: 'yes' as never })).toThrow(InvalidOptionError);
    expect(() => toRecords({ appendNewline: 'yes' as never })).toThrow('toRecords: appendNewline must be true or false; got "yes"');
    expect(() => toRecords({ encode: 1 as never })).toThrow('toRecords: encode must be a function; got 1');
  });

  it('should take every binary view as its bytes, as byteSizeOf counts them (never their JSON)', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 4, 9]).buffer;
    const values = {
      a: new DataView(backing, 1, 4),
      b: backing.slice(1, 5),
      c: new Uint16Array([0x0201, 0x0403]),
      d: new Int8Array(backing, 1, 4),
      e: new Float32Array(new Uint8Array([1, 2, 3, 4]).buffer),
      f: Buffer.from([1, 2, 3, 4]),
    };
    const out: FirehoseRecord[] = [];
    testScheduler().run(({ cold }) => {
      cold('(abcdef|)', values)
        .pipe(toRecords())
        .subscribe((r) => out.push(r));
    });
    for (const [i, record] of out.entries()) {
      expect([...record.data], Object.keys(values)[i]).toEqual([1, 2, 3, 4]);
      expect(record.data.byteLength).toBe(byteSizeOf(Object.values(values)[i]));
    }
    expect(out).toHaveLength(6);
  });

  it('should take binary views returned by encode as bytes too', () => {
    const out: FirehoseRecord[] = [];
    testScheduler().run(({ cold }) => {
      cold('(a|)', { a: 1 })
        .pipe(toRecords({ encode: () => new DataView(new Uint8Array([5, 6]).buffer) }))
        .subscribe((r) => out.push(r));
    });
    expect([...out[0]!.data]).toEqual([5, 6]);
  });

  it('should refuse a bad scheduler at the call, instead of dropping every value', () => {
    expect(() => toRecords({ scheduler: {} as never })).toThrow(
      'toRecords: scheduler must be an RxJS SchedulerLike (with schedule and now); got a value of type Object',
    );
    expect(() => toRecords({ scheduler: null as never })).toThrow(InvalidOptionError);
    expect(() => toRecords({ recordIdPrefix: null as never })).toThrow('toRecords: recordIdPrefix must be a string; got null');
  });
});
