/**
 * A set of record ordinals (a record's position in its log segment: 0, 1, 2, …) kept as sorted, disjoint,
 * half-open ranges `[start, end)`. Records settle nearly in order, so the set stays a few ranges long and
 * adding the next ordinal is O(1); an out-of-order one costs a binary search.
 */
export class SettledOrdinals {
  /** Flat pairs: start0, end0, start1, end1, … sorted, disjoint and not touching. */
  #ranges: number[];

  /** @throws {RangeError} when `ranges` are not strictly increasing pairs of whole numbers (a damaged checkpoint). */
  constructor(ranges: readonly unknown[] = []) {
    let last = -1;
    for (const n of ranges) {
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= last)
        throw new RangeError(`not sorted, disjoint ranges of record ordinals: ${JSON.stringify(ranges).slice(0, 100)}`);
      last = n;
    }
    if (ranges.length % 2 !== 0) throw new RangeError('ranges of record ordinals come in pairs');
    this.#ranges = [...(ranges as number[])];
  }

  /** The ranges as flat pairs `[start0, end0, start1, end1, …]` (for the checkpoint). */
  toJSON(): number[] {
    return [...this.#ranges];
  }

  /** How many ranges the set holds. */
  get rangeCount(): number {
    return this.#ranges.length / 2;
  }

  has(ordinal: number): boolean {
    const r = this.#ranges;
    let lo = 0;
    let hi = r.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[2 * mid + 1]! <= ordinal) lo = mid + 1;
      else hi = mid;
    }
    return lo < r.length / 2 && r[2 * lo]! <= ordinal;
  }

  /** Adds `ordinal`; `false` (changing nothing) if the set held it already. */
  add(ordinal: number): boolean {
    const r = this.#ranges;
    const n = r.length;
    // The common case: the next ordinal after the last range.
    if (n > 0 && r[n - 1] === ordinal) {
      r[n - 1] = ordinal + 1;
      return true;
    }
    if (n === 0 || r[n - 1]! < ordinal) {
      r.push(ordinal, ordinal + 1);
      return true;
    }
    // The first range whose end is ≥ ordinal.
    let lo = 0;
    let hi = n / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r[2 * mid + 1]! < ordinal) lo = mid + 1;
      else hi = mid;
    }
    const start = r[2 * lo]!;
    const end = r[2 * lo + 1]!;
    if (start <= ordinal && ordinal < end) return false; // already in
    if (end === ordinal) {
      // Extends range lo; may now touch range lo + 1.
      r[2 * lo + 1] = ordinal + 1;
      if (2 * lo + 2 < n && r[2 * lo + 2] === ordinal + 1) r.splice(2 * lo + 1, 2);
      return true;
    }
    if (start === ordinal + 1) {
      r[2 * lo] = ordinal;
      return true;
    }
    r.splice(2 * lo, 0, ordinal, ordinal + 1);
    return true;
  }
}
