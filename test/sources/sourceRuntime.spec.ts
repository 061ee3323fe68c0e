import { describe, expect, it } from 'vitest';
import { SourceRuntime } from '../../src/sources/sourceRuntime.js';
import { SettledOffsets } from '../../src/sources/lines/settledOffsets.js';

describe('SourceRuntime', () => {
  it('should hold a record’s bytes until its settlement settles, then release them and tell its tag once', () => {
    const told: Array<[string, string]> = [];
    const seen: number[] = [];
    const runtime = new SourceRuntime<string>({
      maxInFlightBytes: 100,
      onSettled: (tag, outcome) => told.push([tag, outcome]),
      onInFlight: (budget) => seen.push(budget.inFlightBytes),
    });
    const a = runtime.settlement(60, 'a');
    const b = runtime.settlement(50, 'b');
    expect(runtime.budget.inFlightBytes).toBe(110);
    expect(runtime.unsettled).toBe(2);
    expect(runtime.room()).toBeInstanceOf(Promise);
    expect(b.settle('delivered')).toBe(true);
    expect(b.settle('failed')).toBe(false);
    expect(runtime.budget.inFlightBytes).toBe(60);
    expect(runtime.room()).toBeUndefined();
    a.settle('dropped');
    expect(told).toEqual([
      ['b', 'delivered'],
      ['a', 'dropped'],
    ]);
    expect(seen).toEqual([60, 110, 60, 0]);
    expect(runtime.unsettled).toBe(0);
  });

  it('should wait for room while maxInFlightRecords records are unsettled, whatever their bytes', async () => {
    const runtime = new SourceRuntime<undefined>({ maxInFlightBytes: 1_000_000, maxInFlightRecords: 2 });
    const first = runtime.settlement(1, undefined);
    runtime.settlement(1, undefined);
    expect(runtime.budget.inFlightRecords).toBe(2);
    const room = runtime.room();
    expect(room).toBeInstanceOf(Promise);
    let woke = false;
    void room!.then(() => (woke = true));
    first.settle('delivered');
    await room;
    expect(woke).toBe(true);
    expect(runtime.budget.inFlightRecords).toBe(1);
  });

  it('should wake a reader waiting for room when stopped, and abort its signal', async () => {
    const runtime = new SourceRuntime<undefined>({ maxInFlightBytes: 1 });
    runtime.settlement(5, undefined);
    const room = runtime.room()!;
    runtime.stop();
    await room;
    expect(runtime.stopped).toBe(true);
    expect(runtime.signal.aborted).toBe(true);
    expect(runtime.room()).toBeUndefined(); // stopped: nothing to wait for
  });
});

describe('SettledOffsets', () => {
  it('should commit the offset below which every line settled, in input order whatever order they settle in', () => {
    const committed: number[] = [];
    const offsets = new SettledOffsets((offset) => committed.push(offset));
    const slots = [10, 20, 30, 40, 50].map((end) => offsets.add(end));
    offsets.settle(slots[1]!);
    offsets.settle(slots[3]!);
    expect(committed).toEqual([]);
    offsets.settle(slots[0]!);
    expect(committed).toEqual([20]);
    offsets.settle(slots[2]!);
    expect(committed).toEqual([20, 40]);
    offsets.skip(60); // a line that needs no settling waits behind line 4
    expect(committed).toEqual([20, 40]);
    offsets.settle(slots[4]!);
    expect(committed).toEqual([20, 40, 60]);
  });

  it('should keep every slot while it grows past its first 1024 lines in flight', () => {
    const committed: number[] = [];
    const offsets = new SettledOffsets((offset) => committed.push(offset));
    offsets.skip(1); // the ring's head is not at slot 0 when it grows
    const slots = Array.from({ length: 5000 }, (_, i) => offsets.add(2 + i));
    for (let i = slots.length - 1; i >= 1; i--) offsets.settle(slots[i]!);
    expect(committed).toEqual([1]);
    offsets.settle(slots[0]!);
    expect(committed).toEqual([1, 5001]);
  });
});
