/**
 * The checkpoint of a line source: the lines in flight in input order (their end offsets and the bytes they
 * hold), and the offset below which every line settled. Lines get consecutive slots; a settlement marks its
 * slot, and the committed offset moves over the marked slots at the head.
 *
 * ```
 * slots:     0    1    2    3    4        (end offsets 10, 20, 30, 40, 50)
 * settled:   ✓    ✓    .    ✓    .        → committed 20: line 2 holds the checkpoint back
 * settle 2:  ✓    ✓    ✓    ✓    .        → committed 40
 * ```
 *
 * Kept in typed arrays used as a ring (grown by doubling), so a line costs no object: with a full budget a
 * source has hundreds of thousands of lines in flight. Slot numbers only grow, so a slot behind the head is
 * known to be settled after its place in the ring was reused: each slot settles at most once.
 */
export class SettledOffsets {
  #ends = new Float64Array(1024);
  #bytes = new Float64Array(1024);
  #done = new Uint8Array(1024);
  /** Slot numbers of the oldest line in flight and of the next line. */
  #head = 0;
  #next = 0;

  constructor(private readonly onCommitted?: ((offsetBytes: number) => void) | undefined) {}

  /** A new line in flight that ends at `endOffset` and holds `bytes` of its source's budget; returns its slot. */
  add(endOffset: number, bytes = 0): number {
    if (this.#next - this.#head === this.#ends.length) this.#grow();
    const slot = this.#next++;
    const at = slot & (this.#ends.length - 1);
    this.#ends[at] = endOffset;
    this.#bytes[at] = bytes;
    this.#done[at] = 0;
    return slot;
  }

  /** A line that needs no settling (an empty line, one sent to the error output): committed in its turn. */
  skip(endOffset: number): void {
    this.settle(this.add(endOffset));
  }

  /** Whether `slot` is in flight and not settled. */
  open(slot: number): boolean {
    return slot >= this.#head && slot < this.#next && this.#done[slot & (this.#ends.length - 1)] === 0;
  }

  /** Marks `slot` settled and returns the bytes it held, or -1 if it was not open. Commits nothing: see {@link commit}. */
  mark(slot: number): number {
    if (!this.open(slot)) return -1;
    const at = slot & (this.#ends.length - 1);
    this.#done[at] = 1;
    return this.#bytes[at]!;
  }

  /** Moves the committed offset over the settled slots at the head, and tells it if it moved. */
  commit(): void {
    const mask = this.#ends.length - 1;
    if (this.#head === this.#next || this.#done[this.#head & mask] !== 1) return;
    let committed = 0;
    while (this.#head < this.#next && this.#done[this.#head & mask] === 1) committed = this.#ends[this.#head++ & mask]!;
    this.onCommitted?.(committed);
  }

  /** Marks `slot` settled, and commits the offset below which all lines settled if it moved. */
  settle(slot: number): void {
    if (this.mark(slot) >= 0 && slot === this.#head) this.commit();
  }

  #grow(): void {
    const size = this.#ends.length;
    const ends = new Float64Array(size * 2);
    const bytes = new Float64Array(size * 2);
    const done = new Uint8Array(size * 2);
    for (let slot = this.#head; slot < this.#next; slot++) {
      ends[slot & (size * 2 - 1)] = this.#ends[slot & (size - 1)]!;
      bytes[slot & (size * 2 - 1)] = this.#bytes[slot & (size - 1)]!;
      done[slot & (size * 2 - 1)] = this.#done[slot & (size - 1)]!;
    }
    this.#ends = ends;
    this.#bytes = bytes;
    this.#done = done;
  }
}
