import { settlingBatch, deferUntilSettled, type DeferredSettling } from '../../settlement/settleBatch.js';
import type { SettlementOutcome } from '../../settlement/Settlement.js';
import type { SlotOwner } from '../../settlement/SlotRecord.js';
import { SHARD_END, type Checkpoint } from './checkpointStores/CheckpointStore.js';

/** Who counts a source's records in flight across its shards (the source's `SourceRuntime`). */
export interface InFlightCounter {
  /** `records` more were emitted. */
  emitted(records: number): void;
  /** `records` of those settled. */
  settled(records: number): void;
}

const DONE = 1;
/** The slot ends a Kinesis record (its only user record, or the last sub-record of an aggregate): a checkpoint may land on it. */
const LAST = 2;

/**
 * One shard's settled prefix: which of the user records read from it are settled, and so how far it may be
 * checkpointed. Each user record is a slot of this tracker (its record's settlement: see `SlotRecord`), kept
 * in typed arrays used as a ring: a record costs no object here.
 *
 * Records are tracked in the order they were read, which is the shard's sequence order. Settlements arrive
 * in any order (batches finish out of order, a record is dropped early); the checkpoint moves to the last
 * Kinesis record of the longest prefix in which every record is settled, never past a record still in
 * flight, and never back. The sub-records of a KPL aggregate share one sequence number, so the checkpoint
 * lands only on an aggregate's last sub-record: once all of them settled. Once the shard was read to its end
 * ({@link ShardCheckpointTracker.end}) and everything is settled, the checkpoint becomes `SHARD_END`, which
 * lets the shard's children start.
 *
 * ```
 * read:     r1  r2  r3  r4  r5   end
 * settled:      r2      r4        (r1 r3 r5 in flight)   checkpoint: none
 * settled:  r1                                           checkpoint: r2
 * settled:          r3  r5                               checkpoint: r5, then SHARD_END
 * ```
 *
 * Records settled by `deliverTo` in one batch (`settleBatch`) move the checkpoint once for the batch, not
 * once per record.
 *
 * Each Kinesis record carries a number of bytes, handed back to `onPassed` once the checkpoint moved past it
 * (not when it settles): a record settled behind one still in flight is replayed after a crash, and its slot
 * is still held here, so it must go on counting against the source's budget. Then the budget bounds both
 * this tracker's memory and what a crash replays, however long one early record stays in flight.
 */
export class ShardCheckpointTracker implements SlotOwner, DeferredSettling {
  #sequenceNumbers: string[] = new Array<string>(1024);
  #subsequenceNumbers = new Float64Array(1024);
  #bytes = new Float64Array(1024);
  #flags = new Uint8Array(1024);
  /** Slot numbers of the oldest record the checkpoint has not passed and of the next record. */
  #head = 0;
  #next = 0;
  #unsettled = 0;
  #held = 0;
  #ended = false;
  #finished = false;
  /** Settled in the batch settling now and not told to the counter yet (see `settleBatch`). */
  #settledInBatch = 0;
  #deferred = false;
  readonly #onCheckpoint: (checkpoint: Checkpoint) => void;
  readonly #onPassed: (bytes: number) => void;
  readonly #counter: InFlightCounter | undefined;

  /**
   * @param onCheckpoint Told each time the checkpoint moves (synchronously, within the settlement, or the
   * batch, that moved it).
   * @param onPassed Told, just before, the bytes of the records the checkpoint just moved past.
   * @param counter Told how many records were emitted and settled (the source's count of records in flight).
   */
  constructor(
    onCheckpoint: (checkpoint: Checkpoint) => void,
    onPassed: (bytes: number) => void = () => undefined,
    counter?: InFlightCounter,
  ) {
    this.#onCheckpoint = onCheckpoint;
    this.#onPassed = onPassed;
    this.#counter = counter;
  }

  /** Records read and not settled yet. */
  get inFlight(): number {
    return this.#unsettled;
  }

  /** Records read that the checkpoint has not moved past yet (settled or not): what a crash would replay. */
  get held(): number {
    return this.#next - this.#head;
  }

  /** Bytes of the records the checkpoint has not moved past yet. */
  get heldBytes(): number {
    return this.#held;
  }

  /**
   * Tracks the next user record read from the shard and returns its slot, to settle with
   * {@link ShardCheckpointTracker.settleSlot} (or through the record made with it). `bytes` count until the
   * checkpoint moves past it; `last` is `false` for a sub-record of an aggregate other than its last, on
   * which no checkpoint may land.
   */
  add(sequenceNumber: string, subsequenceNumber: number, bytes = 0, last = true): number {
    if (this.#ended) throw new Error(`ShardCheckpointTracker: record ${sequenceNumber} tracked after the shard's end`);
    if (this.#next - this.#head === this.#flags.length) this.#grow(this.#flags.length + 1);
    const slot = this.#next++;
    const at = slot & (this.#flags.length - 1);
    this.#sequenceNumbers[at] = sequenceNumber;
    this.#subsequenceNumbers[at] = subsequenceNumber;
    this.#bytes[at] = bytes;
    this.#flags[at] = last ? LAST : 0;
    this.#held += bytes;
    this.#unsettled++;
    this.#counter?.emitted(1);
    return slot;
  }

  /** Makes room for `records` more slots at once (a response's), instead of doubling the ring as they come. */
  reserve(records: number): void {
    const needed = this.#next - this.#head + records;
    if (needed > this.#flags.length) this.#grow(needed);
  }

  /** A Kinesis record with nothing to deliver (an aggregate without sub-records): passed in its turn. */
  skip(sequenceNumber: string, subsequenceNumber: number): void {
    const slot = this.add(sequenceNumber, subsequenceNumber);
    this.settleSlot(slot, 'dropped');
  }

  /** Whether `slot` is tracked and not settled. */
  slotOpen(slot: number): boolean {
    return slot >= this.#head && slot < this.#next && (this.#flags[slot & (this.#flags.length - 1)]! & DONE) === 0;
  }

  /** Settles `slot` (the record's outcome does not matter here); `false` if it was settled already. */
  settleSlot(slot: number, _outcome: SettlementOutcome): boolean {
    if (!this.slotOpen(slot)) return false;
    this.#flags[slot & (this.#flags.length - 1)]! |= DONE;
    this.#unsettled--;
    if (settlingBatch()) {
      this.#settledInBatch++;
      if (!this.#deferred) {
        this.#deferred = true;
        deferUntilSettled(this);
      }
      return true;
    }
    this.#counter?.settled(1);
    // Only a record at the head can move the checkpoint: one settled behind a record in flight waits for it.
    // (The head may be a settled sub-record whose aggregate waited for this one.)
    if (slot === this.#head || (this.#flags[this.#head & (this.#flags.length - 1)]! & DONE) !== 0) this.#advance();
    return true;
  }

  /** @internal {@link DeferredSettling}: the records settled in a batch, counted and passed once. */
  flushSettled(): void {
    const settled = this.#settledInBatch;
    this.#settledInBatch = 0;
    this.#deferred = false;
    this.#counter?.settled(settled);
    this.#advance();
  }

  /** The shard was read to its end: nothing more will be tracked. */
  end(): void {
    this.#ended = true;
    this.#advance();
  }

  #advance(): void {
    const mask = this.#flags.length - 1;
    const flags = this.#flags;
    let head = this.#head;
    let passed = 0;
    let last = -1;
    // Over the settled records at the head; the checkpoint lands on the last that ends a Kinesis record, and
    // the bytes passed are those of the Kinesis records it passed (an aggregate's are on its last slot).
    for (let at = head & mask; head < this.#next && (flags[at]! & DONE) !== 0; at = ++head & mask) {
      if ((flags[at]! & LAST) !== 0) {
        last = head;
        passed += this.#bytes[at]!;
      }
    }
    if (last >= 0) {
      // The head stops after the last Kinesis record passed: sub-records after it wait for their aggregate.
      const at = last & mask;
      const checkpoint = { sequenceNumber: this.#sequenceNumbers[at]!, subsequenceNumber: this.#subsequenceNumbers[at]! };
      this.#head = last + 1;
      this.#held -= passed;
      this.#onPassed(passed);
      this.#onCheckpoint(checkpoint);
    }
    if (this.#ended && !this.#finished && this.#head === this.#next) {
      this.#finished = true;
      this.#onCheckpoint({ sequenceNumber: SHARD_END, subsequenceNumber: 0 });
    }
  }

  /** Moves the ring into arrays of the least power of two ≥ `slots`. */
  #grow(slots: number): void {
    const size = this.#flags.length;
    let grown = size * 2;
    while (grown < slots) grown *= 2;
    const mask = grown - 1;
    const sequenceNumbers = new Array<string>(grown);
    const subsequenceNumbers = new Float64Array(grown);
    const bytes = new Float64Array(grown);
    const flags = new Uint8Array(grown);
    for (let slot = this.#head; slot < this.#next; slot++) {
      const from = slot & (size - 1);
      sequenceNumbers[slot & mask] = this.#sequenceNumbers[from]!;
      subsequenceNumbers[slot & mask] = this.#subsequenceNumbers[from]!;
      bytes[slot & mask] = this.#bytes[from]!;
      flags[slot & mask] = this.#flags[from]!;
    }
    this.#sequenceNumbers = sequenceNumbers;
    this.#subsequenceNumbers = subsequenceNumbers;
    this.#bytes = bytes;
    this.#flags = flags;
  }
}
