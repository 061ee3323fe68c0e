import { SHARD_END, type Checkpoint } from './checkpointStores/CheckpointStore.js';

/**
 * One record read from a shard, as its tracker holds it until the checkpoint moves past it. A source keeps it
 * as its record's settlement tag and hands it back to {@link ShardCheckpointTracker.settle}: one object per
 * record, no closure.
 */
export class TrackedRecord {
  settled = false;
  constructor(
    readonly tracker: ShardCheckpointTracker,
    readonly sequenceNumber: string,
    readonly subsequenceNumber: number,
    /** What the record counts for until the checkpoint moves past it (its bytes in the source's budget). */
    readonly bytes: number,
  ) {}
}

/** Compact the queue once this many settled entries lie before its head. */
const COMPACT_AT = 1024;

/**
 * One shard's settled prefix: which of the records read from it are settled, and so how far it may be
 * checkpointed.
 *
 * Records are tracked in the order they were read, which is the shard's sequence order. Settlements arrive
 * in any order (batches finish out of order, a record is dropped early); the checkpoint moves to the last
 * record of the longest prefix in which every record is settled, never past a record still in flight, and
 * never back. Once the shard was read to its end ({@link ShardCheckpointTracker.end}) and everything is
 * settled, the checkpoint becomes `SHARD_END`, which lets the shard's children start.
 *
 * ```
 * read:     r1  r2  r3  r4  r5   end
 * settled:      r2      r4        (r1 r3 r5 in flight)   checkpoint: none
 * settled:  r1                                           checkpoint: r2
 * settled:          r3  r5                               checkpoint: r5, then SHARD_END
 * ```
 *
 * Each record carries a number of bytes, handed back to `onPassed` once the checkpoint moved past it (not
 * when it settles): a record settled behind one still in flight is replayed after a crash, and its entry is
 * still held here, so it must go on counting against the source's budget. Then the budget bounds both this
 * tracker's memory and what a crash replays, however long one early record stays in flight.
 */
export class ShardCheckpointTracker {
  #entries: TrackedRecord[] = [];
  #head = 0;
  #unsettled = 0;
  #ended = false;
  #finished = false;
  #held = 0;
  readonly #onCheckpoint: (checkpoint: Checkpoint) => void;
  readonly #onPassed: (bytes: number) => void;

  /**
   * @param onCheckpoint Told each time the checkpoint moves (synchronously, within the settlement that moved it).
   * @param onPassed Told, just before, the bytes of the records the checkpoint just moved past.
   */
  constructor(onCheckpoint: (checkpoint: Checkpoint) => void, onPassed: (bytes: number) => void = () => undefined) {
    this.#onCheckpoint = onCheckpoint;
    this.#onPassed = onPassed;
  }

  /** Records read and not settled yet. */
  get inFlight(): number {
    return this.#unsettled;
  }

  /** Records read that the checkpoint has not moved past yet (settled or not): what a crash would replay. */
  get held(): number {
    return this.#entries.length - this.#head;
  }

  /** Bytes of the records the checkpoint has not moved past yet. */
  get heldBytes(): number {
    return this.#held;
  }

  /**
   * Tracks the next record read from the shard, counting `bytes` until the checkpoint moves past it. Returns
   * the function to call once the record is settled as a whole (for an aggregated record: once all of its
   * sub-records are); later calls do nothing.
   */
  track(sequenceNumber: string, lastSubsequenceNumber: number, bytes = 0): () => void {
    const record = this.add(sequenceNumber, lastSubsequenceNumber, bytes);
    return () => this.settle(record);
  }

  /**
   * {@link ShardCheckpointTracker.track} without the closure: returns the tracked record, to hand to
   * {@link ShardCheckpointTracker.settle} once it is settled as a whole.
   */
  add(sequenceNumber: string, lastSubsequenceNumber: number, bytes = 0): TrackedRecord {
    if (this.#ended) throw new Error(`ShardCheckpointTracker: record ${sequenceNumber} tracked after the shard's end`);
    const record = new TrackedRecord(this, sequenceNumber, lastSubsequenceNumber, bytes);
    this.#entries.push(record);
    this.#held += bytes;
    this.#unsettled++;
    return record;
  }

  /** `record` (returned by {@link ShardCheckpointTracker.add}) is settled as a whole; later calls do nothing. */
  settle(record: TrackedRecord): void {
    if (record.settled) return;
    record.settled = true;
    this.#unsettled--;
    // Only a record at the head can move the checkpoint: one settled behind a record in flight waits for it.
    if (this.#entries[this.#head] === record) this.#advance();
  }

  /** The shard was read to its end: nothing more will be tracked. */
  end(): void {
    this.#ended = true;
    this.#advance();
  }

  #advance(): void {
    const entries = this.#entries;
    let last: TrackedRecord | undefined;
    let passed = 0;
    while (this.#head < entries.length && entries[this.#head]!.settled) {
      last = entries[this.#head++]!;
      passed += last.bytes;
    }
    if (this.#head >= COMPACT_AT && this.#head * 2 >= entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
    if (last !== undefined) {
      this.#held -= passed;
      this.#onPassed(passed);
      this.#onCheckpoint({ sequenceNumber: last.sequenceNumber, subsequenceNumber: last.subsequenceNumber });
    }
    if (this.#ended && !this.#finished && this.#head === this.#entries.length) {
      this.#finished = true;
      this.#onCheckpoint({ sequenceNumber: SHARD_END, subsequenceNumber: 0 });
    }
  }
}
