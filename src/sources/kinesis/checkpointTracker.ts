import { SHARD_END, type Checkpoint } from './checkpointStores/CheckpointStore.js';

interface Entry {
  readonly sequenceNumber: string;
  readonly subsequenceNumber: number;
  settled: boolean;
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
 */
export class ShardCheckpointTracker {
  #entries: Entry[] = [];
  #head = 0;
  #unsettled = 0;
  #ended = false;
  #finished = false;
  readonly #onCheckpoint: (checkpoint: Checkpoint) => void;

  /** @param onCheckpoint Told each time the checkpoint moves (synchronously, within the settlement that moved it). */
  constructor(onCheckpoint: (checkpoint: Checkpoint) => void) {
    this.#onCheckpoint = onCheckpoint;
  }

  /** Records read and not settled yet. */
  get inFlight(): number {
    return this.#unsettled;
  }

  /**
   * Tracks the next record read from the shard. Returns the function to call once the record is settled
   * as a whole (for an aggregated record: once all of its sub-records are); later calls do nothing.
   */
  track(sequenceNumber: string, lastSubsequenceNumber: number): () => void {
    if (this.#ended) throw new Error(`ShardCheckpointTracker: record ${sequenceNumber} tracked after the shard's end`);
    const entry: Entry = { sequenceNumber, subsequenceNumber: lastSubsequenceNumber, settled: false };
    this.#entries.push(entry);
    this.#unsettled++;
    return () => {
      if (entry.settled) return;
      entry.settled = true;
      this.#unsettled--;
      this.#advance();
    };
  }

  /** The shard was read to its end: nothing more will be tracked. */
  end(): void {
    this.#ended = true;
    this.#advance();
  }

  #advance(): void {
    const entries = this.#entries;
    let last: Entry | undefined;
    while (this.#head < entries.length && entries[this.#head]!.settled) last = entries[this.#head++];
    if (this.#head >= COMPACT_AT && this.#head * 2 >= entries.length) {
      this.#entries = entries.slice(this.#head);
      this.#head = 0;
    }
    if (last !== undefined) this.#onCheckpoint({ sequenceNumber: last.sequenceNumber, subsequenceNumber: last.subsequenceNumber });
    if (this.#ended && !this.#finished && this.#head === this.#entries.length) {
      this.#finished = true;
      this.#onCheckpoint({ sequenceNumber: SHARD_END, subsequenceNumber: 0 });
    }
  }
}
