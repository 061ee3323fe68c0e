import { describe, expect, it } from 'vitest';
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bufferBySizeOrTime, type FlushReason } from '../../operators/index.js';
import { budgetFull, emitFillingBudget } from '../../src/batching/budgetFull.js';
import { fromLines, settleRecord, type FirehoseRecord } from '../../src/index.js';

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

// bufferBySizeOrTime's rule 10: the record that fills its source's in-flight budget flushes the batch, since
// nothing more comes until records of that batch settle.
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

  it('should say so only while the filling value is being emitted, and after a throw no more', () => {
    expect(budgetFull()).toBe(false);
    let inside = false;
    emitFillingBudget(() => (inside = budgetFull()));
    expect(inside).toBe(true);
    expect(budgetFull()).toBe(false);
    expect(() =>
      emitFillingBudget(() => {
        throw new Error('downstream failed');
      }),
    ).toThrow('downstream failed');
    expect(budgetFull()).toBe(false);
  });
});
