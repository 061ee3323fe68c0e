import { describe, expect, it } from 'vitest';
import { Observable, Subject, bufferTime, map, take, takeUntil } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bufferBySizeOrTime, type BatchFlush, type FlushReason } from '../../operators/index.js';
import { InvalidOptionError } from '../../src/index.js';

/** A fresh scheduler per test, comparing with vitest's deep equality. */
const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A string of exactly `n` UTF-8 bytes, so that marble values carry readable sizes. */
const bytes = (n: number, ch = 'x'): string => ch.repeat(n);

describe('bufferBySizeOrTime', () => {
  describe('the JSDoc diagram', () => {
    it('should flush by time, by exact size and an oversize value alone', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: bytes(4, 'a'), b: bytes(4, 'b'), c: bytes(6, 'c'), d: bytes(4, 'd'), e: bytes(12, 'e') };
        const source = cold(' -a-b------c-d---e|', v);
        const expected = '     ------x-----y---z|';
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 5 }))).toBe(expected, {
          x: [v.a, v.b],
          y: [v.c, v.d],
          z: [v.e],
        });
      });
    });
  });

  describe('rule 1: sizes', () => {
    it('should count strings as UTF-8 bytes, not characters', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        // 'é' is 1 character but 2 bytes: two of them fill a 4-byte budget exactly.
        const source = cold('-a-a-b|', { a: 'é', b: 'b' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 4, maxMs: 100 }))).toBe('---x--(y|)', {
          x: ['é', 'é'],
          y: ['b'],
        });
      });
    });

    it('should count Uint8Array, Buffer and DataView by byteLength', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const u = new Uint8Array(3);
        const b = Buffer.alloc(3);
        const d = new DataView(new ArrayBuffer(4));
        const source = cold('-u-b-d|', { u, b, d });
        // 3 + 3 = 6 fits 8; the DataView's 4 would make 10 > 8, so [u, b] goes out first.
        expectObservable(source.pipe(bufferBySizeOrTime<ArrayBufferView>({ maxBytes: 8, maxMs: 100 }))).toBe('-----x(y|)', {
          x: [u, b],
          y: [d],
        });
      });
    });

    it('should count a { data } record by the size of its data', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const r1 = { data: new Uint8Array(5), recordId: 'one with a long id that is not counted' };
        const r2 = { data: 'fives', partitionKey: 'k' };
        const source = cold('-a-b-|', { a: r1, b: r2 });
        expectObservable(source.pipe(bufferBySizeOrTime<object>({ maxBytes: 10, maxMs: 100 }))).toBe('---x-|', {
          x: [r1, r2],
        });
      });
    });

    it('should error with a TypeError naming the type and sizeOf, after emitting what was buffered', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold<unknown>('-a-b-c|', { a: 'ok', b: 42, c: 'never' });
        const result = source.pipe(bufferBySizeOrTime<unknown>({ maxBytes: 100, maxMs: 100 }));
        expectObservable(result).toBe(
          '---(x#)',
          { x: ['ok'] },
          new TypeError(
            'cannot count the bytes of a value of type number: pass a sizeOf option (value => bytes), or emit strings, bytes or { data } records',
          ),
        );
      });
    });

    it('should name the class of an unsupported object in the TypeError', () => {
      const errors: unknown[] = [];
      new Observable<unknown>((s) => s.next(new Map())).pipe(bufferBySizeOrTime<unknown>()).subscribe({
        error: (e: unknown) => errors.push(e),
      });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(TypeError);
      expect(String(errors[0])).toMatch(/type Map.*sizeOf/);
    });

    it('should use a custom sizeOf', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b-c-d|', { a: 1, b: 2, c: 3, d: 4 });
        const sizeOf = (n: number): number => n * 10;
        // 10 + 20 = 30 fits; + 30 would be 60 > 50: flush; 30 + 40 = 70 > 50: flush again.
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 50, maxMs: 100, sizeOf }))).toBe('-----x-y(z|)', {
          x: [1, 2],
          y: [3],
          z: [4],
        });
      });
    });

    it('should error when sizeOf throws, after emitting what was buffered before that value', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const boom = new Error('boom');
        const source = cold('-a-b-c|', { a: 1, b: 2, c: 3 });
        const sizeOf = (n: number): number => {
          if (n === 2) throw boom;
          return 1;
        };
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 100, sizeOf }))).toBe('---(x#)', { x: [1] }, boom);
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it.each([
      ['negative', -1],
      ['NaN', Number.NaN],
      ['infinite', Number.POSITIVE_INFINITY],
    ])('should error when sizeOf returns a %s number', (_label, bad) => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b|', { a: 1, b: 2 });
        const sizeOf = (n: number): number => (n === 2 ? bad : 1);
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 100, sizeOf }))).toBe(
          '---(x#)',
          { x: [1] },
          new RangeError(`bufferBySizeOrTime: sizeOf returned ${bad}; it must return a finite number ≥ 0 (bytes)`),
        );
      });
    });

    it('should let zero-byte values share a batch without limit of size', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-a-a|', { a: '' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 1, maxMs: 100 }))).toBe('------(x|)', {
          x: ['', '', ''],
        });
      });
    });
  });

  describe('rule 2: never over budget', () => {
    it('should emit the batch first when the next value would go over maxBytes', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: bytes(6), b: bytes(3), c: bytes(2), d: bytes(1) };
        // 6 + 3 = 9 fits 10; + 2 = 11 would not: [a, b] out at c, c opens the next batch.
        const source = cold('-a-b-c-d-|', v);
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 100 }))).toBe('-----x---(y|)', {
          x: [v.a, v.b],
          y: [v.c, v.d],
        });
      });
    });

    it('should start the next batch timer at the value that did not fit', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: bytes(8), b: bytes(8) };
        const source = cold('a-b--------|', v);
        // b opens its batch at 2; its timer ends at 2 + 5 = 7, not 5 after a.
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 5 }))).toBe('--x----y---|', {
          x: [v.a],
          y: [v.b],
        });
      });
    });
  });

  describe('rule 3: full means now', () => {
    it('should emit in the same frame when maxBytes is reached exactly', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: bytes(5), b: bytes(5), c: bytes(1) };
        const source = cold('-a-b-c|', v);
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 100 }))).toBe('---x--(y|)', {
          x: [v.a, v.b],
          y: [v.c],
        });
      });
    });

    it('should emit in the same frame when maxRecords is reached', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b-c-d-e|', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxRecords: 2, maxMs: 100 }))).toBe('---x---y--(z|)', {
          x: ['a', 'b'],
          y: ['c', 'd'],
          z: ['e'],
        });
      });
    });

    it('should emit every value alone with maxRecords 1', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a(bc)|', { a: 'a', b: 'b', c: 'c' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxRecords: 1 }))).toBe('-x(yz)|', {
          x: ['a'],
          y: ['b'],
          z: ['c'],
        });
      });
    });
  });

  describe('rule 4: oversize values', () => {
    it('should emit a value larger than maxBytes alone and at once, after what was buffered', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: bytes(3), b: bytes(25), c: bytes(2) };
        const source = cold('-a-b---c|', v);
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 100 }))).toBe('---(xy)-(z|)', {
          x: [v.a],
          y: [v.b],
          z: [v.c],
        });
      });
    });

    it('should emit an oversize first value at once, without waiting for the timer', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: bytes(11) };
        const source = cold('-a-------|', v);
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 5 }))).toBe('-x-------|', {
          x: [v.a],
        });
      });
    });
  });

  describe('rule 5: the timer', () => {
    it('should emit maxMs after the first value, not after the last emission', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b----------c-d-------|', { a: 'a', b: 'b', c: 'c', d: 'd' });
        // a at 1 → out at 6; c at 14 (the timer starts again only now) → out at 19.
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 5 }))).toBe('------x------------y----|', {
          x: ['a', 'b'],
          y: ['c', 'd'],
        });
      });
    });

    it("should keep Firehose's defaults: 60 s after the first value", () => {
      testScheduler().run(({ hot, expectObservable }) => {
        const source = hot('a 30s b 40s c 100s |', { a: 'a', b: 'b', c: 'c' });
        // a at 0 → out at 60 s; c at 70.002 s → out at 130.002 s; completion at 170.003 s emits nothing.
        expectObservable(source.pipe(bufferBySizeOrTime())).toBe('60s x 70001ms y 40000ms |', {
          x: ['a', 'b'],
          y: ['c'],
        });
      });
    });

    it('should emit nothing while idle: never an empty array', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a 100ms b 100ms |', { a: 'a', b: 'b' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 10 }))).toBe('11ms x 100ms y 90ms |', {
          x: ['a'],
          y: ['b'],
        });
      });
    });

    it('should not let a timer from an earlier batch flush a later one', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        // a and b fill the budget at 2 (timer of a, due at 6, is cancelled); c at 4 flushes at 9, not at 6.
        const v = { a: bytes(5), b: bytes(5), c: bytes(1) };
        const source = cold('-a-b-c--------|', v);
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 5 }))).toBe('---x------y---|', {
          x: [v.a, v.b],
          y: [v.c],
        });
      });
    });

    it('should start one timer for many batches flushed by size, and still flush each by its own first value', () => {
      const scheduler = testScheduler();
      let started = 0;
      const counting = {
        now: () => scheduler.now(),
        schedule: ((work: never, delay?: number, state?: never) => {
          started++;
          return scheduler.schedule(work, delay, state);
        }) as typeof scheduler.schedule,
      };
      scheduler.run(({ cold, expectObservable }) => {
        // Three batches fill at 1, 3 and 5 (the timer of the first, due at 8, keeps running); the fourth opens
        // at 6: when that timer fires at 8 it waits on for i's own 8 ms and flushes at 14.
        const v = { a: bytes(5), b: bytes(5), i: bytes(1) };
        const source = cold('abababi--------------|', v);
        expectObservable(source.pipe(bufferBySizeOrTime({ maxBytes: 10, maxMs: 8, scheduler: counting }))).toBe('-x-x-x--------y------|', {
          x: [v.a, v.b],
          y: [v.i],
        });
      });
      expect(started).toBe(1);
    });

    it('should run on an explicit scheduler option outside run mode', () => {
      const scheduler = testScheduler();
      const source = scheduler.createColdObservable('-a-b-------c|', { a: 'a', b: 'b', c: 'c' });
      const result = source.pipe(bufferBySizeOrTime({ maxMs: 30, scheduler }));
      // Outside run mode a frame is 10 virtual ms: a at 10 → out at 40; c at 110 → out at completion (120).
      scheduler.expectObservable(result).toBe('----x-------(y|)', { x: ['a', 'b'], y: ['c'] });
      scheduler.flush();
    });
  });

  describe('rule 6: ends', () => {
    it('should emit what is buffered, then complete', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b-|', { a: 'a', b: 'b' });
        expectObservable(source.pipe(bufferBySizeOrTime())).toBe('-----(x|)', { x: ['a', 'b'] });
      });
    });

    it('should emit what is buffered, then pass a source error on', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b-#', { a: 'a', b: 'b' }, new Error('source failed'));
        expectObservable(source.pipe(bufferBySizeOrTime())).toBe('-----(x#)', { x: ['a', 'b'] }, new Error('source failed'));
      });
    });

    it('should cancel the timer and emit nothing when unsubscribed', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-----c-|', { a: 'a', b: 'b', c: 'c' });
        const unsub = '       ------!';
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 3 })), unsub).toBe('----x-', { x: ['a', 'b'] });
        expectSubscriptions(source.subscriptions).toBe('^-----!');
      });
    });

    it('should emit nothing after an early unsubscribe, even with a timer pending', () => {
      testScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('-a-b-----|', { a: 'a', b: 'b' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 10 })), '---!').toBe('----');
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('should stop the source when the subscriber takes only the first batch', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c-d|', { a: 'a', b: 'b', c: 'c', d: 'd' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxRecords: 2 }), take(1))).toBe('---(x|)', {
          x: ['a', 'b'],
        });
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });
  });

  describe('rule 7: zero buffering (maxMs: 0)', () => {
    it('should batch values of the same frame together and wait past no frame', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-(abc)-d--(ef)|', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e', f: 'f' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 0 }))).toBe('-x-----y--z---|', {
          x: ['a', 'b', 'c'],
          y: ['d'],
          z: ['e', 'f'],
        });
      });
    });

    it('should still split a frame by size', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: bytes(6), b: bytes(6), c: bytes(1) };
        const source = cold('-(abc)|', v);
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 0, maxBytes: 10 }))).toBe('-(xy)-|', {
          x: [v.a],
          y: [v.b, v.c],
        });
      });
    });
  });

  describe('rule 8: bad options', () => {
    it.each([
      ['maxBytes', 0, 'bufferBySizeOrTime: maxBytes must be a finite number > 0 (bytes); got 0'],
      ['maxBytes', -5, 'bufferBySizeOrTime: maxBytes must be a finite number > 0 (bytes); got -5'],
      ['maxBytes', Number.POSITIVE_INFINITY, 'bufferBySizeOrTime: maxBytes must be a finite number > 0 (bytes); got Infinity'],
      ['maxBytes', Number.NaN, 'bufferBySizeOrTime: maxBytes must be a finite number > 0 (bytes); got NaN'],
      ['maxBytes', '1024', 'bufferBySizeOrTime: maxBytes must be a finite number > 0 (bytes); got "1024"'],
      ['maxMs', -1, 'bufferBySizeOrTime: maxMs must be a finite number ≥ 0 and ≤ 2147483647 (ms); got -1'],
      ['maxMs', Number.POSITIVE_INFINITY, 'bufferBySizeOrTime: maxMs must be a finite number ≥ 0 and ≤ 2147483647 (ms); got Infinity'],
      ['maxMs', 2 ** 31, 'bufferBySizeOrTime: maxMs must be a finite number ≥ 0 and ≤ 2147483647 (ms); got 2147483648'],
      ['maxRecords', 0, 'bufferBySizeOrTime: maxRecords must be an integer ≥ 1; got 0'],
      ['maxRecords', 2.5, 'bufferBySizeOrTime: maxRecords must be an integer ≥ 1; got 2.5'],
      ['maxRecords', Number.POSITIVE_INFINITY, 'bufferBySizeOrTime: maxRecords must be an integer ≥ 1; got Infinity'],
      ['sizeOf', 'bytes', 'bufferBySizeOrTime: sizeOf must be a function; got "bytes"'],
      ['onFlush', 1, 'bufferBySizeOrTime: onFlush must be a function; got 1'],
      ['scheduler', {}, 'bufferBySizeOrTime: scheduler must be a SchedulerLike (with schedule and now); got a value of type Object'],
    ])('should throw InvalidOptionError at the call for %s = %s', (option, value, message) => {
      let thrown: unknown;
      try {
        bufferBySizeOrTime({ [option]: value });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(InvalidOptionError);
      expect(thrown).toBeInstanceOf(RangeError);
      const error = thrown as InvalidOptionError;
      expect(error.message).toBe(message);
      expect(error.name).toBe('InvalidOptionError');
      expect(error.option).toBe(option);
      expect(error.component).toBe('bufferBySizeOrTime');
      expect(Object.is(error.value, value)).toBe(true);
    });

    it('should accept the boundaries of every range', () => {
      expect(() => bufferBySizeOrTime({ maxBytes: Number.MIN_VALUE, maxMs: 0, maxRecords: 1 })).not.toThrow();
      expect(() => bufferBySizeOrTime({ maxBytes: Number.MAX_VALUE, maxMs: 2 ** 31 - 1 })).not.toThrow();
    });
  });

  describe('rule 9: why it flushed', () => {
    it('should tell onFlush each reason without changing the emitted arrays', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const flushes: Array<BatchFlush & { batch: readonly string[] }> = [];
        const v = { a: bytes(4), b: bytes(6), c: bytes(3), d: bytes(5), e: bytes(1), f: bytes(2), g: bytes(1) };
        const source = cold('-a-b-c-d-e-f 20ms g|', v);
        const result = source.pipe(
          bufferBySizeOrTime({
            maxBytes: 10,
            maxMs: 8,
            maxRecords: 2,
            onFlush: (batch, info) => flushes.push({ ...info, batch }),
          }),
        );
        // a+b = 10 (size, at 3); c at 5, d at 7: count (2 records, 8 bytes); e at 9, f at 11: count;
        // g at 32 waits; completion at 33.
        expectObservable(result).toBe('---x---y---z---------------------(w|)', {
          x: [v.a, v.b],
          y: [v.c, v.d],
          z: [v.e, v.f],
          w: [v.g],
        });
        flush();
        expect(flushes.map((f) => [f.reason, f.records, f.bytes, f.openedAtMs, f.flushedAtMs])).toEqual([
          ['size', 2, 10, 1, 3],
          ['count', 2, 8, 5, 7],
          ['count', 2, 3, 9, 11],
          ['complete', 1, 1, 32, 33],
        ]);
      });
    });

    it('should report time and error reasons', () => {
      const reasons: FlushReason[] = [];
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-----b-#', { a: 'a', b: 'b' });
        const result = source.pipe(bufferBySizeOrTime({ maxMs: 3, onFlush: (_b, { reason }) => reasons.push(reason) }));
        expectObservable(result).toBe('----x----(y#)', { x: ['a'], y: ['b'] });
      });
      expect(reasons).toEqual(['time', 'error']);
    });

    it('should report size for the batch before an oversize value and for the value itself', () => {
      const reasons: FlushReason[] = [];
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: bytes(2), b: bytes(50) };
        const source = cold('-a-b----|', v);
        const result = source.pipe(bufferBySizeOrTime({ maxBytes: 10, onFlush: (_b, { reason }) => reasons.push(reason) }));
        expectObservable(result).toBe('---(xy)-|', { x: [v.a], y: [v.b] });
      });
      expect(reasons).toEqual(['size', 'size']);
    });

    it('should still emit the batch when onFlush throws, then what is buffered, then error', () => {
      const calls: string[][] = [];
      const hookError = new Error('metrics down');
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c|', { a: 'a', b: 'b', c: 'c' });
        const result = source.pipe(
          bufferBySizeOrTime({
            maxBytes: 2,
            onFlush: (batch) => {
              calls.push([...batch]);
              throw hookError;
            },
          }),
        );
        expectObservable(result).toBe('---(x#)', { x: ['a', 'b'] }, hookError);
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
      expect(calls).toEqual([['a', 'b']]);
    });

    it('should emit a batch whose onFlush threw with the timer, then error', () => {
      const hookError = new Error('metrics down');
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-------|', { a: 'a' });
        const result = source.pipe(
          bufferBySizeOrTime({
            maxMs: 2,
            onFlush: () => {
              throw hookError;
            },
          }),
        );
        expectObservable(result).toBe('---(x#)', { x: ['a'] }, hookError);
      });
    });

    it('should error on completion when onFlush throws for the last batch, after emitting it', () => {
      const hookError = new Error('metrics down');
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-|', { a: 'a' });
        const result = source.pipe(
          bufferBySizeOrTime({
            onFlush: () => {
              throw hookError;
            },
          }),
        );
        expectObservable(result).toBe('---(x#)', { x: ['a'] }, hookError);
      });
    });
  });

  describe("RxJS's operator checklist", () => {
    it('should never emit for a source that never emits', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-');
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 5 })), '^ 1000ms !').toBe('-');
        expectSubscriptions(source.subscriptions).toBe('^ 1000ms !');
      });
    });

    it('should complete without emitting for an empty source', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('|').pipe(bufferBySizeOrTime())).toBe('|');
        expectObservable(cold('---|').pipe(bufferBySizeOrTime({ maxMs: 1 }))).toBe('---|');
      });
    });

    it('should emit one value on completion', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-a|', { a: 'a' }).pipe(bufferBySizeOrTime())).toBe('--(x|)', { x: ['a'] });
      });
    });

    it('should emit many synchronous values as batches in order', () => {
      const batches: number[][] = [];
      new Observable<number>((s) => {
        for (let i = 0; i < 10; i++) s.next(i);
        s.complete();
      })
        .pipe(bufferBySizeOrTime({ maxRecords: 4, sizeOf: () => 1 }))
        .subscribe((b) => batches.push(b));
      expect(batches).toEqual([
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
      ]);
    });

    it('should error at once for a source that errors before any value', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('--#').pipe(bufferBySizeOrTime())).toBe('--#');
      });
    });

    it('should keep emitting by time for a never-ending source', () => {
      testScheduler().run(({ hot, expectObservable }) => {
        const source = hot('-a--b--c--d--e--f--', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e', f: 'f' });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 5 }))).toBe('------x-----y-----z', {
          x: ['a', 'b'],
          y: ['c', 'd'],
          z: ['e', 'f'],
        });
      });
    });

    it('should stop reading a synchronous source once it has errored', () => {
      const sized: number[] = [];
      let error: unknown;
      new Observable<number>((s) => {
        for (let i = 0; i < 5; i++) s.next(i);
      })
        .pipe(
          bufferBySizeOrTime({
            sizeOf: (n) => {
              sized.push(n);
              if (n === 1) throw new Error('bad');
              return 1;
            },
          }),
        )
        .subscribe({ error: (e: unknown) => (error = e) });
      expect((error as Error).message).toBe('bad');
      expect(sized).toEqual([0, 1]);
    });
  });

  describe('side by side with bufferTime (docs/semantics.md)', () => {
    it('should time each batch from its first value and emit no empty arrays, unlike bufferTime', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('             -a-------b-c-d-e------|', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e' });
        expectObservable(source.pipe(bufferTime(5, null, 3))).toBe('-----x----y----z----w-(v|)', {
          x: ['a'],
          y: ['b'],
          z: ['c', 'd', 'e'],
          w: [],
          v: [],
        });
        expectObservable(source.pipe(bufferBySizeOrTime({ maxMs: 5, maxRecords: 3 }))).toBe('------x------y------z-|', {
          x: ['a'],
          y: ['b', 'c', 'd'],
          z: ['e'],
        });
      });
    });
  });

  describe('reentrancy', () => {
    it('should put a value pushed back during an emission after the value that caused it', () => {
      const input = new Subject<string>();
      const batches: string[][] = [];
      input
        .pipe(
          bufferBySizeOrTime({ maxBytes: 2 }),
          map((b) => b.join('')),
        )
        .subscribe((s) => {
          batches.push([s]);
          if (s === 'ab') input.next('z');
        });
      input.next('a');
      input.next('b'); // fills the budget: 'ab' is emitted, the subscriber pushes 'z'
      input.next('c'); // 'z' + 'c' fill the next batch
      input.complete();
      expect(batches).toEqual([['ab'], ['zc']]);
    });

    it('should emit both batches a value produced when the source completes during the first one', () => {
      // The drain pattern: takeUntil(stop$) on the source, stop$ fired by the consumer of a batch.
      const input = new Subject<string>();
      const stop = new Subject<void>();
      const batches: string[][] = [];
      let completed = false;
      input.pipe(takeUntil(stop), bufferBySizeOrTime({ maxBytes: 10 })).subscribe({
        next: (b) => {
          batches.push(b);
          stop.next();
        },
        complete: () => (completed = true),
      });
      input.next('a'.repeat(6));
      input.next('b'.repeat(10)); // overflows [a] and fills its own batch: two batches from one value
      expect(batches).toEqual([['a'.repeat(6)], ['b'.repeat(10)]]);
      expect(completed).toBe(true);
    });

    it('should keep batches in order when a full value is pushed back during an emission', () => {
      const input = new Subject<string>();
      const batches: string[] = [];
      input.pipe(bufferBySizeOrTime({ maxBytes: 10 })).subscribe((b) => {
        batches.push(b.map((v) => v[0]).join(''));
        if (batches.length === 1) input.next('c'.repeat(10));
      });
      input.next('a'.repeat(6));
      input.next('b'.repeat(10)); // [a] goes out; c arrives while it does; [b] must still come before [c]
      expect(batches).toEqual(['a', 'b', 'c']);
    });

    it('should pass on an error that arrives during an emission after the batches already taken', () => {
      const input = new Subject<string>();
      const batches: string[][] = [];
      let error: unknown;
      input.pipe(bufferBySizeOrTime({ maxBytes: 10 })).subscribe({
        next: (b) => {
          batches.push(b);
          if (batches.length === 1) input.error(new Error('late'));
        },
        error: (e: unknown) => (error = e),
      });
      input.next('a'.repeat(6));
      input.next('b'.repeat(10));
      expect(batches).toEqual([['a'.repeat(6)], ['b'.repeat(10)]]);
      expect((error as Error).message).toBe('late');
    });

    it('should keep the value that overflowed ahead of one pushed back during the flush it caused', () => {
      const input = new Subject<string>();
      const batches: string[] = [];
      input.pipe(bufferBySizeOrTime({ maxBytes: 3 })).subscribe((b) => {
        batches.push(b.join(''));
        if (batches.length === 1) input.next('z');
      });
      input.next('ab');
      input.next('cd'); // 'ab' + 'cd' = 4 > 3: 'ab' out, 'cd' opens the next batch before 'z' arrives
      input.complete();
      expect(batches).toEqual(['ab', 'cdz']);
    });
  });
});
