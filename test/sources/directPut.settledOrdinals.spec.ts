import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SettledOrdinals } from '../../src/sources/directPut/SettledOrdinals.js';

describe('SettledOrdinals', () => {
  it('should hold exactly the ordinals added, in whatever order, as the fewest sorted ranges', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 100 }), { maxLength: 150 }), (ordinals) => {
        const set = new SettledOrdinals();
        for (const n of ordinals) set.add(n);
        const expected = new Set(ordinals);
        for (let n = 0; n <= 101; n++) if (set.has(n) !== expected.has(n)) return false;
        // The ranges are the maximal runs: as many as there are run starts.
        const starts = [...expected].filter((n) => !expected.has(n - 1)).length;
        if (set.rangeCount !== starts) return false;
        const again = new SettledOrdinals(set.toJSON());
        for (let n = 0; n <= 101; n++) if (again.has(n) !== expected.has(n)) return false;
        return true;
      }),
    );
  });

  it('should keep in-order settlement to one range', () => {
    const set = new SettledOrdinals();
    for (let n = 0; n < 10_000; n++) expect(set.add(n)).toBe(true);
    expect(set.toJSON()).toEqual([0, 10_000]);
  });

  it('should say whether an ordinal was added or held already', () => {
    const set = new SettledOrdinals();
    expect([5, 3, 4, 5, 9, 3, 8, 9, 0].map((n) => set.add(n))).toEqual([true, true, true, false, true, false, true, false, true]);
    expect(set.toJSON()).toEqual([0, 1, 3, 6, 8, 10]);
  });

  it('should refuse ranges that are not sorted, disjoint pairs of whole numbers (a damaged checkpoint)', () => {
    for (const bad of [[1], [5, 1], [0, 2, 2, 4], [0, 1.5], [-1, 2], ['0', 1]]) expect(() => new SettledOrdinals(bad)).toThrow(RangeError);
  });
});
