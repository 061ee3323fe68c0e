import { Buffer } from 'node:buffer';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { bufferByPartition, InvalidOptionError, UndeliverableRecordsError, type FirehoseRecord } from '../../src/index.js';
import { memoryDestination, trackSettlements } from '../../src/testing/index.js';
import { rec } from './support.js';

/** A record of partition `p` (its first letter) with `bytes` bytes of data. */
const r = (id: string, bytes = 1): FirehoseRecord => rec(id, Buffer.alloc(bytes, id));
const partitionOf = (record: FirehoseRecord): string => record.recordId[0]!;

function testScheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

describe('bufferByPartition', () => {
  it('should keep one size-or-time buffer per partition, each timed from its own first record', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: r('a1'), A: r('a2'), b: r('b1'), B: r('b2'), c: r('c1') };
      const source = cold('a-b-A-----B-c--|', values);
      //                   a1 at 0 → [a1, a2] at 5; b1 at 2 → [b1] at 7; b2 at 10 → [b2] at 15 (complete flushes c1 and b2 at 15)
      const expected = '-----x-y-------(zw|)';
      expectObservable(source.pipe(bufferByPartition({ partitionOf, maxMs: 5, scheduler }))).toBe(expected, {
        x: [values.a, values.A],
        y: [values.b],
        z: [values.B],
        w: [values.c],
      });
    });
  });

  it('should flush a partition at its own size, never mixing partitions', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: r('a1', 4), b: r('b1', 4), A: r('a2', 6), C: r('a3', 1) };
      const source = cold('a-b-A-C-|', values);
      expectObservable(source.pipe(bufferByPartition({ partitionOf, maxBytes: 10, maxMs: 100, scheduler }))).toBe('----x---(yz|)', {
        x: [values.a, values.A], // 4 + 6 reaches 10 bytes: out at once
        y: [values.b],
        z: [values.C],
      });
    });
  });

  it('should send a record that would open a partition beyond maxActivePartitions to activePartitionExceeded', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, flush }) => {
      const lake = memoryDestination<unknown>({ scheduler });
      const values = { a: r('a1'), b: r('b1'), c: r('c1'), A: r('a2'), d: r('d1') };
      const log = trackSettlements(Object.values(values), () => scheduler.now());
      const source = cold('a-b-c-A----d|', values);
      //                   a and b are active when c comes (4); once a's and b's batches went out (5, 7), a2 (6) and d (11) open partitions again
      expectObservable(
        source.pipe(bufferByPartition({ partitionOf, maxMs: 5, maxActivePartitions: 2, errorOutput: lake, scheduler })),
      ).toBe('-----x-y---z(w|)', { x: [values.a], y: [values.b], z: [values.A], w: [values.d] });
      flush();
      expect(lake.failureWrites.map((w) => [w.atMs, w.errorOutputType, w.failures[0]!.errorCode])).toEqual([
        [4, 'activePartitionExceeded', 'DynamicPartitioning.ActivePartitionExceeded'],
      ]);
      expect(log.events).toContainEqual({ index: 2, outcome: 'failed', atMs: 4 });
    });
  });

  it('should flush the largest partition at once when the bytes buffered over all partitions exceed maxBufferedBytes', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: r('a1', 3), b: r('b1', 5), c: r('c1', 1), A: r('a2', 3) };
      const source = cold('a-b-c-A---|', values);
      //                   a3 + b5 + c1 = 9 > 8 at 4: b (the largest) goes out; a3 + c1 + a3 = 7 stays
      expectObservable(source.pipe(bufferByPartition({ partitionOf, maxMs: 100, maxBufferedBytes: 8, scheduler }))).toBe(
        '----x-----(yz|)',
        { x: [values.b], y: [values.a, values.A], z: [values.c] },
      );
    });
  });

  it('should pass a source error on after flushing every partition, and a throwing partitionOf as an error', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: r('a1'), b: r('b1') };
      expectObservable(cold('a-b-#', values).pipe(bufferByPartition({ partitionOf, maxMs: 100, scheduler }))).toBe('----(xy#)', {
        x: [values.a],
        y: [values.b],
      });
      const boom = new Error('no partition');
      const throwing = bufferByPartition<FirehoseRecord>({
        partitionOf: () => {
          throw boom;
        },
        scheduler,
      });
      expectObservable(cold('a|', values).pipe(throwing)).toBe('#', undefined, boom);
    });
  });

  it('should error with UndeliverableRecordsError when a partition overflows without an error output', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: r('a1'), b: r('b1') };
      const result = cold('ab|', values).pipe(bufferByPartition({ partitionOf, maxActivePartitions: 1, scheduler }));
      expectObservable(result).toBe('-#', undefined, expect.any(UndeliverableRecordsError) as unknown as Error);
    });
  });

  it('should refuse invalid options at the call', () => {
    expect(() => bufferByPartition({ partitionOf: 'k' as never })).toThrow(InvalidOptionError);
    expect(() => bufferByPartition({ partitionOf, maxActivePartitions: 0 })).toThrow(InvalidOptionError);
    expect(() => bufferByPartition({ partitionOf, maxBufferedBytes: -1 })).toThrow(InvalidOptionError);
    expect(() => bufferByPartition({ partitionOf, maxRecords: 0 })).toThrow(InvalidOptionError);
  });
});
