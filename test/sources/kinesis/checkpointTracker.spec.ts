import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHARD_END, type Checkpoint } from '../../../src/sources/kinesis/index.js';
import { ShardCheckpointTracker } from '../../../src/sources/kinesis/checkpointTracker.js';
import { settleBatch } from '../../../src/settlement/settleBatch.js';

/** Tracks a record and returns what settles it. */
function track(tracker: ShardCheckpointTracker, sequenceNumber: string, subsequenceNumber: number, bytes = 0, last = true): () => boolean {
  const slot = tracker.add(sequenceNumber, subsequenceNumber, bytes, last);
  return () => tracker.settleSlot(slot, 'delivered');
}

describe('ShardCheckpointTracker', () => {
  it('should move the checkpoint to the last record of the settled prefix, never past one in flight', () => {
    const checkpoints: Checkpoint[] = [];
    const tracker = new ShardCheckpointTracker((c) => checkpoints.push(c));
    const [r1, r2, r3, r4] = [track(tracker, '1', 0), track(tracker, '2', 4), track(tracker, '3', 0), track(tracker, '4', 0)];
    r2!();
    r4!();
    expect(checkpoints).toEqual([]);
    expect(tracker.inFlight).toBe(2);
    r1!();
    expect(checkpoints).toEqual([{ sequenceNumber: '2', subsequenceNumber: 4 }]);
    r1!(); // settling twice changes nothing
    expect(checkpoints).toHaveLength(1);
    r3!();
    expect(checkpoints.at(-1)).toEqual({ sequenceNumber: '4', subsequenceNumber: 0 });
    expect(tracker.inFlight).toBe(0);
  });

  it('should report SHARD_END once the shard ended and everything read from it is settled', () => {
    const checkpoints: Checkpoint[] = [];
    const tracker = new ShardCheckpointTracker((c) => checkpoints.push(c));
    const settle = track(tracker, '7', 0);
    tracker.end();
    expect(checkpoints).toEqual([]);
    settle();
    expect(checkpoints).toEqual([
      { sequenceNumber: '7', subsequenceNumber: 0 },
      { sequenceNumber: SHARD_END, subsequenceNumber: 0 },
    ]);
    const empty = new ShardCheckpointTracker((c) => checkpoints.push(c));
    empty.end();
    expect(checkpoints.at(-1)).toEqual({ sequenceNumber: SHARD_END, subsequenceNumber: 0 });
    expect(() => track(empty, '8', 0)).toThrow('tracked after the shard');
  });

  it('should hand back the bytes of records only once the checkpoint moves past them, not when they settle', () => {
    const passed: number[] = [];
    const checkpoints: Checkpoint[] = [];
    const tracker = new ShardCheckpointTracker(
      (c) => checkpoints.push(c),
      (bytes) => passed.push(bytes),
    );
    const [r1, r2, r3] = [track(tracker, '1', 0, 10), track(tracker, '2', 0, 20), track(tracker, '3', 0, 40)];
    r2!();
    r3!();
    expect(passed).toEqual([]); // settled behind r1: still held (a crash replays them)
    expect([tracker.held, tracker.heldBytes, tracker.inFlight]).toEqual([3, 70, 1]);
    r1!();
    expect(passed).toEqual([70]);
    expect(checkpoints).toEqual([{ sequenceNumber: '3', subsequenceNumber: 0 }]);
    expect([tracker.held, tracker.heldBytes]).toEqual([0, 0]);
  });

  it('should checkpoint an aggregate only once all its sub-records settled, and hold its bytes until then', () => {
    const checkpoints: Checkpoint[] = [];
    const passed: number[] = [];
    const tracker = new ShardCheckpointTracker(
      (c) => checkpoints.push(c),
      (bytes) => passed.push(bytes),
    );
    const plain = track(tracker, '1', 0, 5);
    // Three sub-records of one Kinesis record: the aggregate's bytes on its last.
    const [s0, s1, s2] = [track(tracker, '2', 0, 0, false), track(tracker, '2', 1, 0, false), track(tracker, '2', 2, 30)];
    const after = track(tracker, '3', 0, 7);
    plain();
    s0();
    s1();
    expect(checkpoints).toEqual([{ sequenceNumber: '1', subsequenceNumber: 0 }]); // not at '2' before sub-record 2 settled
    expect(passed).toEqual([5]);
    expect([tracker.held, tracker.heldBytes, tracker.inFlight]).toEqual([4, 37, 2]);
    after();
    expect(checkpoints).toHaveLength(1);
    s2();
    expect(checkpoints.at(-1)).toEqual({ sequenceNumber: '3', subsequenceNumber: 0 });
    expect(passed).toEqual([5, 37]);
    tracker.skip('4', 0); // an aggregate without sub-records passes in its turn
    expect(checkpoints.at(-1)).toEqual({ sequenceNumber: '4', subsequenceNumber: 0 });
    expect([tracker.held, tracker.heldBytes, tracker.inFlight]).toEqual([0, 0, 0]);
  });

  it('should move the checkpoint once for a batch settled together, and count what settled once', () => {
    const checkpoints: Checkpoint[] = [];
    const counted: number[] = [];
    const tracker = new ShardCheckpointTracker(
      (c) => checkpoints.push(c),
      () => undefined,
      { emitted: (n) => counted.push(n), settled: (n) => counted.push(-n) },
    );
    const settles = Array.from({ length: 5 }, (_, i) => track(tracker, String(i), 0, 1));
    settleBatch(() => {
      for (const settle of settles.slice(0, 4)) settle();
      expect(checkpoints).toEqual([]); // not before the batch's end
    });
    expect(checkpoints).toEqual([{ sequenceNumber: '3', subsequenceNumber: 0 }]);
    expect(counted).toEqual([1, 1, 1, 1, 1, -4]);
    expect(settles[0]!()).toBe(false); // settled already
  });

  it('should always checkpoint the longest fully settled prefix, whatever the order of settlements (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 3_000 })
          .chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i)))),
        ([n, order]) => {
          let checkpoint: Checkpoint | undefined;
          let passed = 0;
          const tracker = new ShardCheckpointTracker(
            (c) => {
              if (checkpoint !== undefined && c.sequenceNumber !== SHARD_END)
                expect(Number(c.sequenceNumber)).toBeGreaterThan(Number(checkpoint.sequenceNumber)); // never back
              checkpoint = c;
            },
            (bytes) => (passed += bytes),
          );
          const bytesOf = (i: number): number => (i % 7) + 1;
          const settles = Array.from({ length: n }, (_, i) => track(tracker, String(i), 0, bytesOf(i)));
          const settled = new Set<number>();
          for (const i of order) {
            settles[i]!();
            settled.add(i);
            let prefix = 0;
            while (settled.has(prefix)) prefix++;
            expect(checkpoint?.sequenceNumber).toBe(prefix === 0 ? undefined : String(prefix - 1));
            // Exactly the bytes of the records passed, each once (bytesOf sums to 28 per 7 records, plus a tail).
            const tail = Array.from({ length: prefix % 7 }, (_, k) => k + 1).reduce((a, b) => a + b, 0);
            expect(passed).toBe(Math.floor(prefix / 7) * 28 + tail);
            expect(tracker.held).toBe(n - prefix);
          }
          expect(tracker.inFlight).toBe(n - order.length);
        },
      ),
      { numRuns: 50 },
    );
  });
  it('should keep every slot when a page reserves room at once, wherever the ring has wrapped (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 8 }),
        (pages) => {
          let checkpoint: Checkpoint | undefined;
          const tracker = new ShardCheckpointTracker((c) => (checkpoint = c));
          const settles: Array<() => boolean> = [];
          let settledUpTo = 0;
          for (const [size, settlePercent] of pages) {
            tracker.reserve(size);
            for (let i = 0; i < size; i++) settles.push(track(tracker, String(settles.length), 0));
            // Settle a prefix of what is still open, so that the next page starts with the head inside the ring.
            const target = settledUpTo + Math.floor(((settles.length - settledUpTo) * settlePercent) / 100);
            for (; settledUpTo < target; settledUpTo++) settles[settledUpTo]!();
            expect(checkpoint?.sequenceNumber).toBe(settledUpTo === 0 ? undefined : String(settledUpTo - 1));
            expect(tracker.held).toBe(settles.length - settledUpTo);
          }
          for (const settle of settles.slice(settledUpTo)) settle();
          expect(checkpoint?.sequenceNumber).toBe(settles.length === 0 ? undefined : String(settles.length - 1));
        },
      ),
      { numRuns: 50 },
    );
  });
});
