/**
 * How a record's journey ended:
 * - `delivered`: the destination acknowledged it;
 * - `dropped`: a transformation chose to drop it (Firehose's `Dropped`);
 * - `failed`: it was written to the error output as a failure record.
 * Each counts as settled: a replayable source may move its checkpoint past the record.
 */
export type SettlementOutcome = 'delivered' | 'dropped' | 'failed';

/**
 * A record's promise to tell its source how its journey ended, exactly once.
 *
 * A source creates one per record with a callback (`new Settlement(outcome => …)`) and attaches it with
 * `attachSettlement`. Operators that pass the record on keep it; one that sends a record down two paths
 * {@link Settlement.fork}s it, so the source hears only when both finished; one that drops a record settles
 * it as `dropped`; `deliverTo` settles it once the destination, or the error output, acknowledged it.
 *
 * ## Example
 * ```ts
 * import { Settlement, attachSettlement, settleRecord } from 'rx-firehose';
 *
 * const record = attachSettlement({ recordId: '1', data, approximateArrivalTimestamp: 0 },
 *   new Settlement((outcome) => console.log('settled', outcome)));
 * settleRecord(record, 'delivered'); // logs "settled delivered"; a second call does nothing
 * ```
 */
export class Settlement {
  #onSettled: ((outcome: SettlementOutcome, settlement: Settlement) => void) | null;
  #outcome: SettlementOutcome | undefined;
  #listeners: Array<(outcome: SettlementOutcome) => void> | undefined;

  /**
   * @param onSettled Told the outcome, once, and which settlement settled: a source that hands out many
   * settlements can share one callback (and keep per-record state in a subclass) instead of a closure each.
   */
  constructor(onSettled: (outcome: SettlementOutcome, settlement: Settlement) => void) {
    this.#onSettled = onSettled;
  }

  /** The outcome once settled, else `undefined`. */
  get outcome(): SettlementOutcome | undefined {
    return this.#outcome;
  }

  get settled(): boolean {
    return this.#outcome !== undefined;
  }

  /**
   * Settles with `outcome` and tells the owner. Returns `true` the first time; later calls change nothing
   * and return `false`. A callback that throws propagates to the caller, after the settlement is recorded.
   */
  settle(outcome: SettlementOutcome): boolean {
    if (this.#outcome !== undefined) return false;
    this.#outcome = outcome;
    const onSettled = this.#onSettled!;
    this.#onSettled = null;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener(outcome);
    onSettled(outcome, this);
    return true;
  }

  /** Also tells `listener` the outcome when this settles, once (at once if it already did). */
  whenSettled(listener: (outcome: SettlementOutcome) => void): void {
    if (this.#outcome !== undefined) listener(this.#outcome);
    else (this.#listeners ??= []).push(listener);
  }

  /**
   * Splits this settlement into `parts` settlements that must all settle before this one does. The
   * combined outcome is `failed` if any part failed, else `delivered` if any part was delivered, else
   * `dropped`. Used when one record takes several paths (a backup and a destination) or becomes several
   * records (de-aggregation).
   */
  fork(parts: number): Settlement[] {
    if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`Settlement.fork: parts must be an integer ≥ 1; got ${parts}`);
    if (this.settled) throw new Error('Settlement.fork: this settlement is already settled');
    let open = parts;
    let failed = false;
    let delivered = false;
    const onPart = (outcome: SettlementOutcome): void => {
      if (outcome === 'failed') failed = true;
      else if (outcome === 'delivered') delivered = true;
      if (--open === 0) this.settle(failed ? 'failed' : delivered ? 'delivered' : 'dropped');
    };
    return Array.from({ length: parts }, () => new Settlement(onPart));
  }

  /** One settlement that settles all of `settlements` with its outcome (a record that stands for several). */
  static all(settlements: readonly Settlement[]): Settlement {
    return new Settlement((outcome) => {
      for (const s of settlements) s.settle(outcome);
    });
  }
}
