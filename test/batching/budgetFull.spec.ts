import { describe, expect, it } from 'vitest';
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bufferBySizeOrTime, type FlushReason } from '../../operators/index.js';
import { budgetFull, emitFillingBudget } from '../../src/batching/budgetFull.js';
import { fromLines, settleRecord, type FirehoseRecord } from '../../src/index.js';
import { bufferByPartition } from '../../src/processing/bufferByPartition.js';

const text = (r: FirehoseRecord): string => new TextDecoder().decode(r.data);
/** Lets the source's reading (promises) run; virtual time does not move. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Lines, then (with `idle`) an input that stays open with nothing more to read, as stdin does. */
async function* lines(parts: readonly string[], idle = false): AsyncGenerator<string> {
  for (const p of parts) yield p;
  if (idle) await new Promise(() => undefined);
}

/** Subscribes, noting each batch (as text), its flush reason and the virtual time it came out at. */
function watch(batches$: Observable<FirehoseRecord[]>, scheduler: TestScheduler) {
  const seen: { batch: FirehoseRecord[]; at: number }[] = [];
  const reasons: FlushReason[] = [];
  let complete = false;
  batches$.subscribe({ next: (batch) => seen.push({ batch, at: scheduler.now() }), complete: () => (complete = true) });
  return { seen, reasons, done: () => complete, texts: () => seen.map((s) => s.batch.map(text).join('')) };
}

/** `lines` read by fromLines with `maxInFlightRecords`, into bufferBySizeOrTime batches of `maxRecords` (60 s), watched. */
function linesInBatches(parts: readonly string[], maxInFlightRecords: number, maxRecords: number, idle = false) {
  const scheduler = new TestScheduler(() => undefined);
  const reasons: FlushReason[] = [];
  const w = watch(
    fromLines(lines(parts, idle), { maxInFlightRecords, scheduler }).pipe(
      bufferBySizeOrTime({ maxBytes: 1 << 20, maxRecords, maxMs: 60_000, scheduler, onFlush: (_, f) => reasons.push(f.reason) }),
    ),
    scheduler,
  );
  return { scheduler, reasons, w };
}

// bufferBySizeOrTime's rule 10: the record that fills its source's in-flight budget flushes the batch when
// it holds at least half of what is in flight, since nothing more comes until records settle.
describe('a full source budget flushes the buffer', () => {
  it('should emit the batch in the frame the budget fills (reason budget), not after maxMs', async () => {
    const scheduler = new TestScheduler(() => undefined);
    const reasons: FlushReason[] = [];
    const w = watch(
      fromLines(lines(['a\nb\nc\nd\ne\n']), { maxInFlightRecords: 3, scheduler }).pipe(
        bufferBySizeOrTime({ maxBytes: 1 << 20, maxMs: 60_000, scheduler, onFlush: (_, f) => reasons.push(f.reason) }),
      ),
      scheduler,
    );
    await turn();
    // c filled the budget (3 records): out at virtual time 0, and reading waits for them to settle.
    expect(w.texts()).toEqual(['a\nb\nc\n']);
    expect(w.seen[0]!.at).toBe(0);
    expect(reasons).toEqual(['budget']);
    w.seen[0]!.batch.forEach((r) => settleRecord(r, 'delivered'));
    await turn();
    // d and e were read, and the input ended: the rest goes out at completion, still at virtual time 0.
    expect(w.texts()).toEqual(['a\nb\nc\n', 'd\ne\n']);
    expect(reasons).toEqual(['budget', 'complete']);
    expect(w.done()).toBe(true);
    expect(scheduler.now()).toBe(0);
  });

  it('should flush through synchronous operators between the source and the buffer', async () => {
    const scheduler = new TestScheduler(() => undefined);
    const reasons: FlushReason[] = [];
    const w = watch(
      fromLines(lines(['a\nb\nc\n'], true), { maxInFlightBytes: 4, scheduler }).pipe(
        map((r) => r),
        bufferBySizeOrTime({ maxBytes: 1 << 20, maxMs: 60_000, scheduler, onFlush: (_, f) => reasons.push(f.reason) }),
      ),
      scheduler,
    );
    await turn();
    // a and b are 4 bytes: the byte budget is full.
    expect(w.texts()).toEqual(['a\nb\n']);
    expect(reasons).toEqual(['budget']);
  });

  it('should not flush early while the budget has room: a batch waits for its maxMs', async () => {
    const scheduler = new TestScheduler(() => undefined);
    const reasons: FlushReason[] = [];
    const w = watch(
      fromLines(lines(['a\nb\nc\n'], true), { maxInFlightRecords: 4, scheduler }).pipe(
        bufferBySizeOrTime({ maxBytes: 1 << 20, maxMs: 60_000, scheduler, onFlush: (_, f) => reasons.push(f.reason) }),
      ),
      scheduler,
    );
    await turn();
    expect(w.seen).toEqual([]);
    scheduler.maxFrames = 60_000; // a TestScheduler outside run() stops at frame 750 by default
    scheduler.flush();
    expect(w.texts()).toEqual(['a\nb\nc\n']);
    expect(w.seen[0]!.at).toBe(60_000);
    expect(reasons).toEqual(['time']);
  });

  it('should not cut a small batch while most of what is in flight settles further down', async () => {
    const { scheduler, reasons, w } = linesInBatches(['a\nb\nc\nd\ne\nf\ng\nh\n'], 4, 3);
    await turn();
    // d filled the budget, but three of the four records in flight are in the batch that went out: d waits.
    expect(w.texts()).toEqual(['a\nb\nc\n']);
    const settle = async (i: number) => {
      w.seen[i]!.batch.forEach((r) => settleRecord(r, 'delivered'));
      await turn();
    };
    await settle(0);
    // e and f joined d (a full batch), then g filled the budget alone in its batch: it waits again.
    expect(w.texts()).toEqual(['a\nb\nc\n', 'd\ne\nf\n']);
    await settle(1);
    expect(w.texts()).toEqual(['a\nb\nc\n', 'd\ne\nf\n', 'g\nh\n']);
    expect(reasons).toEqual(['count', 'count', 'complete']);
    expect(scheduler.now()).toBe(0);
  });

  it('should flush a batch three quarters full, though most of what is in flight is further down', async () => {
    // A budget of a little less than two batches (7 records, batches of 4): the second batch cannot fill
    // before the first settles.
    const { reasons, w } = linesInBatches(['a\nb\nc\nd\ne\nf\ng\nh\n'], 7, 4, true);
    await turn();
    // g filled the budget; e f g are 3 of the 7 records in flight, but three quarters of a batch: they go out
    // at once, so both batches are delivered at the same time instead of one after the other.
    expect(w.texts()).toEqual(['a\nb\nc\nd\n', 'e\nf\ng\n']);
    expect(reasons).toEqual(['count', 'budget']);
    expect(w.seen[1]!.at).toBe(0);
  });

  it('should keep a batch under three quarters full waiting while most of what is in flight is further down', async () => {
    const { scheduler, reasons, w } = linesInBatches(['a\nb\nc\nd\ne\nf\ng\nh\n'], 6, 4, true);
    await turn();
    // f filled the budget: e f are 2 of the 6 in flight, half a batch: they wait for a..d to settle, and the
    // batch then fills (g h) instead of going out as a half one.
    expect(w.texts()).toEqual(['a\nb\nc\nd\n']);
    w.seen[0]!.batch.forEach((r) => settleRecord(r, 'delivered'));
    await turn();
    expect(w.texts()).toEqual(['a\nb\nc\nd\n', 'e\nf\ng\nh\n']);
    expect(reasons).toEqual(['count', 'count']);
    expect(scheduler.now()).toBe(0);
  });

  it('should flush the largest partitions of bufferByPartition while they hold most of what is in flight', async () => {
    const scheduler = new TestScheduler(() => undefined);
    const w = watch(
      fromLines(lines(['p1\nq1\nr1\n'], true), { maxInFlightRecords: 3, scheduler }).pipe(
        bufferByPartition({ partitionOf: (r: FirehoseRecord) => text(r)[0]!, maxMs: 60_000, scheduler }),
      ),
      scheduler,
    );
    await turn();
    // r1 filled the budget alone in its partition; the three partitions hold everything in flight: the
    // largest go out (ties: the oldest) until less than half is buffered.
    expect(w.texts()).toEqual(['p1\n', 'q1\n']);
    expect(scheduler.now()).toBe(0);
  });

  it('should say so only while the filling value is being emitted, with what is in flight, and after a throw no more', () => {
    expect(budgetFull(1, 1)).toBe(false);
    const inside: boolean[] = [];
    emitFillingBudget({ inFlightRecords: 4, inFlightBytes: 400 }, () =>
      inside.push(budgetFull(1, 100), budgetFull(2, 0), budgetFull(0, 200), budgetFull(1, 199)),
    );
    expect(inside).toEqual([false, true, true, false]);
    // A source without a record limit counts no records: bytes alone tell.
    emitFillingBudget({ inFlightRecords: 0, inFlightBytes: 400 }, () => inside.push(budgetFull(0, 199), budgetFull(0, 200)));
    expect(inside.slice(4)).toEqual([false, true]);
    // Three quarters of the batch's own limit, whatever is in flight: 3 of 4 records, 750 of 1000 bytes.
    emitFillingBudget({ inFlightRecords: 100, inFlightBytes: 100_000 }, () =>
      inside.push(budgetFull(2, 0, Infinity, 4), budgetFull(3, 0, Infinity, 4), budgetFull(1, 749, 1000), budgetFull(1, 750, 1000)),
    );
    expect(inside.slice(6)).toEqual([false, true, false, true]);
    expect(budgetFull(1, 1)).toBe(false);
    expect(() =>
      emitFillingBudget({ inFlightRecords: 1, inFlightBytes: 1 }, () => {
        throw new Error('downstream failed');
      }),
    ).toThrow('downstream failed');
    expect(budgetFull(1, 1)).toBe(false);
  });
});
