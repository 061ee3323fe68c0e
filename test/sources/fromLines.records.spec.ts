import { describe, expect, it } from 'vitest';
import { fromLines, InvalidOptionError, settleRecord, type FirehoseRecord } from '../../src/index.js';

describe('fromLines maxInFlightRecords', () => {
  it('should stop reading while maxInFlightRecords records are unsettled, though their bytes are far below maxInFlightBytes', async () => {
    async function* lines(): AsyncGenerator<string> {
      for (let i = 0; i < 50; i++) yield `${i}\n`;
    }
    const seen: FirehoseRecord[] = [];
    let done = false;
    const subscription = fromLines(lines(), { maxInFlightRecords: 3 }).subscribe({
      next: (r) => seen.push(r),
      complete: () => (done = true),
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(3);
    settleRecord(seen[1], 'delivered');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(4);
    while (!done) {
      seen.forEach((r) => settleRecord(r, 'delivered'));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen.map((r) => r.recordId)).toEqual(Array.from({ length: 50 }, (_, i) => `line-${i}`));
    subscription.unsubscribe();
  });

  it('should refuse a maxInFlightRecords that is not an integer ≥ 1, naming it', () => {
    async function* none(): AsyncGenerator<string> {}
    for (const bad of [0, 1.5, -1, Number.NaN, '3', null]) {
      expect(() => fromLines(none(), { maxInFlightRecords: bad as number })).toThrow(InvalidOptionError);
      expect(() => fromLines(none(), { maxInFlightRecords: bad as number })).toThrow(/maxInFlightRecords/);
    }
  });
});
