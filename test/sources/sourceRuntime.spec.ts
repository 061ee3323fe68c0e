import { describe, expect, it } from 'vitest';
import { settleRecords } from '../../src/delivery/settleRecords.js';
import { settleRecord } from '../../src/settlement/settleRecord.js';
import { carrySettlement } from '../../src/settlement/carrySettlement.js';
import { settlementOf } from '../../src/settlement/sideTable.js';
import { SourceRuntime } from '../../src/sources/sourceRuntime.js';
import { SettledOffsets } from '../../src/sources/lines/settledOffsets.js';

describe('SourceRuntime', () => {
  const bytes = (n: number): Uint8Array => new Uint8Array(n);

  it('should hold a record’s bytes until it settles, then release them once', () => {
    const seen: number[] = [];
    const runtime = new SourceRuntime({ maxInFlightBytes: 100, onInFlight: (budget) => seen.push(budget.inFlightBytes) });
    const a = runtime.record('a', bytes(60), 0, 60);
    const b = runtime.record('b', bytes(50), 0, 110);
    expect(runtime.budget.inFlightBytes).toBe(110);
    expect(runtime.unsettled).toBe(2);
    expect(runtime.room()).toBeInstanceOf(Promise);
    expect(settleRecord(b, 'delivered')).toBe(true);
    expect(settleRecord(b, 'failed')).toBe(false);
    expect(runtime.budget.inFlightBytes).toBe(60);
    expect(runtime.room()).toBeUndefined();
    settleRecord(a, 'dropped');
    expect(seen).toEqual([60, 110, 60, 0]);
    expect(runtime.unsettled).toBe(0);
  });

  it('should wait for room while maxInFlightRecords records are unsettled, whatever their bytes', async () => {
    const runtime = new SourceRuntime({ maxInFlightBytes: 1_000_000, maxInFlightRecords: 2 });
    const first = runtime.record('a', bytes(1), 0, 1);
    runtime.record('b', bytes(1), 0, 2);
    expect(runtime.budget.inFlightRecords).toBe(2);
    const room = runtime.room();
    expect(room).toBeInstanceOf(Promise);
    let woke = false;
    void room!.then(() => (woke = true));
    settleRecord(first, 'delivered');
    await room;
    expect(woke).toBe(true);
    expect(runtime.budget.inFlightRecords).toBe(1);
  });

  it('should count records in flight that another slot owner keeps (a Kinesis shard’s)', () => {
    const runtime = new SourceRuntime({ maxInFlightBytes: 100 });
    runtime.emitted(3);
    runtime.settled(2);
    expect(runtime.unsettled).toBe(1);
  });

  it('should wake a reader waiting for room when stopped, and abort its signal', async () => {
    const runtime = new SourceRuntime({ maxInFlightBytes: 1 });
    runtime.record('a', bytes(5), 0, 5);
    const room = runtime.room()!;
    runtime.stop();
    await room;
    expect(runtime.stopped).toBe(true);
    expect(runtime.signal.aborted).toBe(true);
    expect(runtime.room()).toBeUndefined(); // stopped: nothing to wait for
  });
});

describe('SourceRuntime.record', () => {
  const bytes = (n: number): Uint8Array => new Uint8Array(n);

  it('should make records whose settlement adds no property: only their three fields, one shape for all', () => {
    const runtime = new SourceRuntime({ maxInFlightBytes: 100 });
    const a = runtime.record('line-0', bytes(3), 7, 3);
    const b = runtime.record('line-1', bytes(4), 8, 7);
    for (const r of [a, b]) {
      expect(Reflect.ownKeys(r)).toEqual(['recordId', 'data', 'approximateArrivalTimestamp']);
      expect({ ...r }).toEqual({ recordId: r.recordId, data: r.data, approximateArrivalTimestamp: r.approximateArrivalTimestamp });
    }
    expect(a).toEqual({ recordId: 'line-0', data: bytes(3), approximateArrivalTimestamp: 7 });
    expect(runtime.budget.inFlightBytes).toBe(7);
    expect(runtime.unsettled).toBe(2);
  });

  it('should settle each record once, as a slot, and tell the outcome to whoever asks for its settlement later', () => {
    const committed: number[] = [];
    const runtime = new SourceRuntime({ maxInFlightBytes: 100, onCommitted: (p) => committed.push(p) });
    const [a, b] = [runtime.record('a', bytes(3), 0, 3), runtime.record('b', bytes(4), 0, 7)];
    expect(settleRecord(b, 'failed')).toBe(true);
    expect(settleRecord(b, 'delivered')).toBe(false);
    expect(committed).toEqual([]); // a holds the checkpoint back
    expect(runtime.budget.inFlightBytes).toBe(3);
    expect(settlementOf(b)?.outcome).toBe('failed');
    expect(settlementOf(a)?.settled).toBe(false);
    expect(settlementOf(a)!.settle('delivered')).toBe(true); // the object made on demand settles the slot
    expect(settleRecord(a, 'dropped')).toBe(false);
    expect(committed).toEqual([7]);
    expect(runtime.budget.inFlightBytes).toBe(0);
    expect(runtime.unsettled).toBe(0);
  });

  it('should do the accounting of a batch once: one release, one onInFlight, one checkpoint move', () => {
    const seen: number[] = [];
    const committed: number[] = [];
    const runtime = new SourceRuntime({
      maxInFlightBytes: 1000,
      maxInFlightRecords: 10,
      onInFlight: (budget) => seen.push(budget.inFlightBytes),
      onCommitted: (p) => committed.push(p),
    });
    const records = Array.from({ length: 5 }, (_, i) => runtime.record(`r${i}`, bytes(10), 0, 10 * (i + 1)));
    seen.length = 0;
    settleRecords(records.slice(0, 4), 'delivered', undefined, (i) => (i === 2 ? 'failed' : 'delivered'));
    expect(seen).toEqual([10]);
    expect(committed).toEqual([40]);
    expect(runtime.budget.inFlightRecords).toBe(1);
    expect(settlementOf(records[2])?.outcome).toBe('failed');
    settleRecords(records, 'delivered'); // the four settled already count nothing twice
    expect(seen).toEqual([10, 0]);
    expect(committed).toEqual([40, 50]);
    expect(runtime.unsettled).toBe(0);
  });

  it('should hand the slot on to a transformed record, which settles it', () => {
    const committed: number[] = [];
    const runtime = new SourceRuntime({ maxInFlightBytes: 100, onCommitted: (p) => committed.push(p) });
    const a = runtime.record('a', bytes(3), 0, 3);
    const copy = { ...a, data: bytes(1) };
    carrySettlement(a, copy);
    expect(settleRecord(a, 'delivered')).toBe(false);
    expect(committed).toEqual([]);
    expect(settleRecord(copy, 'delivered')).toBe(true);
    expect(committed).toEqual([3]);
    expect(runtime.budget.inFlightBytes).toBe(0);
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
