import { setMaxListeners } from 'node:events';
import type { LostSettlementError } from '../settlement/LostSettlementError.js';
import type { SettlementOutcome } from '../settlement/Settlement.js';
import { deferUntilSettled, settlingBatch, type DeferredSettling } from '../settlement/settleBatch.js';
import { SlotRecord, type SlotOwner } from '../settlement/SlotRecord.js';
import type { StallWatchdog } from '../settlement/StallWatchdog.js';
import { watchRecordForLoss } from '../settlement/watchSettlement.js';
import { InFlightBudget } from './InFlightBudget.js';
import { SettledOffsets } from './lines/settledOffsets.js';

/** What a source tells its runtime once. */
export interface SourceRuntimeOptions {
  /** Stop reading while this many bytes were emitted and are held (see {@link SourceRuntime.record}). */
  readonly maxInFlightBytes: number;
  /** Stop reading while this many records are unsettled. Default: no bound. */
  readonly maxInFlightRecords?: number | undefined;
  /** Told whenever bytes are taken or released (the source's `onInFlight` option). */
  readonly onInFlight?: ((budget: InFlightBudget) => void) | undefined;
  /** Reports a budget held while nothing settles (see `StallWatchdog`). Default: none. */
  readonly watchdog?: StallWatchdog | undefined;
  /**
   * Told the position below which every record made with {@link SourceRuntime.record} (and every position
   * passed to {@link SourceRuntime.skip}) settled, whenever it moves forward: the source's checkpoint.
   */
  readonly onCommitted?: ((position: number) => void) | undefined;
}

/**
 * The part every replayable source shares (`fromLines`, `fromKinesisStream`): the in-flight budget, the
 * records it makes, and the stop signal.
 *
 * - **Budget**: {@link SourceRuntime.record} takes a record's bytes (and one record) from the budget until it
 *   settles; {@link SourceRuntime.room} is how reading waits while the budget is full. A source that releases
 *   bytes later than settlement (Kinesis releases them when its checkpoint passes the record) uses `budget`
 *   itself, and counts its records in flight with {@link SourceRuntime.emitted} and {@link SourceRuntime.settled}.
 * - **Records in slots**: {@link SourceRuntime.record} makes a record whose settlement is a slot of the
 *   runtime's ring (typed arrays: position, bytes, settled), not an object: no settlement, closure or property
 *   per record. When `deliverTo` settles a batch of them, the budget is released, `onInFlight` told and the
 *   checkpoint moved once for the batch (`settleBatch`), not once per record. A source whose checkpoints are
 *   not one position (Kinesis: one per shard) makes `SlotRecord`s whose slots are its own (a `SlotOwner`).
 * - **Stop**: {@link SourceRuntime.stop} aborts {@link SourceRuntime.signal} (for requests and waits in flight)
 *   and wakes a reader waiting for room, so it sees that it must stop.
 */
export class SourceRuntime implements SlotOwner, DeferredSettling {
  readonly budget: InFlightBudget;
  readonly #halt = new AbortController();
  readonly #onInFlight: ((budget: InFlightBudget) => void) | undefined;
  #unsettled = 0;
  readonly #slots: SettledOffsets;
  /** What records settled in the batch settling now held, released once at its end (see `settleBatch`). */
  #settledBytes = 0;
  #settledRecords = 0;
  #deferred = false;

  constructor(options: SourceRuntimeOptions) {
    this.budget = new InFlightBudget(options.maxInFlightBytes, options.maxInFlightRecords ?? Number.POSITIVE_INFINITY, options.watchdog);
    this.#onInFlight = options.onInFlight;
    this.#slots = new SettledOffsets(options.onCommitted);
    setMaxListeners(0, this.#halt.signal); // one listener per wait and request in flight
  }

  /** Aborted once reading must stop. */
  get signal(): AbortSignal {
    return this.#halt.signal;
  }

  get stopped(): boolean {
    return this.#halt.signal.aborted;
  }

  /** Records emitted and not settled yet. */
  get unsettled(): number {
    return this.#unsettled;
  }

  /** Stops reading: aborts {@link SourceRuntime.signal} and wakes a reader waiting for room. */
  stop(): void {
    if (!this.#halt.signal.aborted) this.#halt.abort();
    this.budget.wake();
  }

  /** `undefined` when there is room to emit now; else a promise that resolves once there is, or once stopped. */
  room(): Promise<void> | undefined {
    return this.budget.full && !this.stopped ? this.budget.whenAvailable() : undefined;
  }

  /** `records` more records in flight whose slots are not this runtime's (a Kinesis shard's): see {@link SourceRuntime.unsettled}. */
  emitted(records: number): void {
    this.#unsettled += records;
  }

  /** `records` of those counted with {@link SourceRuntime.emitted} settled. */
  settled(records: number): void {
    this.#unsettled -= records;
  }

  /**
   * A record whose settlement is a slot of this runtime: it holds `data.byteLength` bytes of the budget (and
   * one record, when records are bounded) until it settles; `position` is where it ends in the source, for
   * `onCommitted`. With `onLost`, the record is watched by the garbage collector for a lost settlement.
   */
  record(
    recordId: string,
    data: Uint8Array,
    approximateArrivalTimestamp: number,
    position: number,
    onLost?: ((error: LostSettlementError) => void) | undefined,
  ): SlotRecord {
    const bytes = data.byteLength;
    const records = this.budget.maxRecords === Number.POSITIVE_INFINITY ? 0 : 1;
    this.budget.take(bytes, records);
    this.#unsettled++;
    const slot = this.#slots.add(position, bytes);
    this.#onInFlight?.(this.budget);
    const record = new SlotRecord(recordId, data, approximateArrivalTimestamp, this, slot);
    if (onLost !== undefined) watchRecordForLoss(record, this, slot, onLost);
    return record;
  }

  /** A position that needs no settling (an empty line, a line sent to the error output): committed in its turn. */
  skip(position: number): void {
    this.#slots.skip(position);
  }

  /** @internal {@link SlotOwner}: settles a record made by {@link SourceRuntime.record}. */
  settleSlot(slot: number, _outcome: SettlementOutcome): boolean {
    const bytes = this.#slots.mark(slot);
    if (bytes < 0) return false;
    this.#unsettled--;
    const records = this.budget.maxRecords === Number.POSITIVE_INFINITY ? 0 : 1;
    if (settlingBatch()) {
      this.#settledBytes += bytes;
      this.#settledRecords += records;
      if (!this.#deferred) {
        this.#deferred = true;
        deferUntilSettled(this);
      }
      return true;
    }
    if (bytes !== 0 || records !== 0) this.budget.release(bytes, records);
    this.#onInFlight?.(this.budget);
    this.#slots.commit();
    return true;
  }

  /** @internal {@link SlotOwner} */
  slotOpen(slot: number): boolean {
    return this.#slots.open(slot);
  }

  /** @internal {@link DeferredSettling}: the accounting of a batch's records, once. */
  flushSettled(): void {
    const bytes = this.#settledBytes;
    const records = this.#settledRecords;
    this.#settledBytes = 0;
    this.#settledRecords = 0;
    this.#deferred = false;
    if (bytes !== 0 || records !== 0) this.budget.release(bytes, records);
    this.#onInFlight?.(this.budget);
    this.#slots.commit();
  }
}
