import type { StallWatchdog } from '../settlement/StallWatchdog.js';

/**
 * Backpressure for sources: counts the bytes a source emitted that are not settled yet, and tells it to
 * wait while they reach the budget. RxJS has no backpressure, so this is how a slow destination slows the
 * source instead of filling the heap: records are settled by `deliverTo` once stored, which releases
 * their bytes here. With a {@link StallWatchdog}, a wait in which nothing settles for its timeout is reported.
 *
 * A source may also bound the records in flight (`maxRecords`): each record costs a few hundred bytes of
 * heap besides its data (its object, its `Uint8Array` view, its id, its settlement), which for short
 * records is more than the data itself.
 */
export class InFlightBudget {
  #inFlight = 0;
  #records = 0;
  #peak = 0;
  #waiters: Array<() => void> = [];
  /** A producer was refused while the budget was full (a source that throttles instead of waiting). */
  #refusing = false;

  readonly #watchdog: StallWatchdog | undefined;

  constructor(
    readonly maxBytes: number,
    /** The most records in flight at once; `Infinity` (the default) bounds bytes only. */
    readonly maxRecords: number = Number.POSITIVE_INFINITY,
    watchdog?: StallWatchdog | undefined,
  ) {
    this.#watchdog = watchdog;
  }

  /** Bytes emitted and not yet settled. */
  get inFlightBytes(): number {
    return this.#inFlight;
  }

  /** Records emitted and not yet settled (counted only by sources that bound them). */
  get inFlightRecords(): number {
    return this.#records;
  }

  /** The most bytes that were ever in flight at once. */
  get peakBytes(): number {
    return this.#peak;
  }

  /** Whether the source must wait before emitting more. */
  get full(): boolean {
    return this.#inFlight >= this.maxBytes || this.#records >= this.maxRecords;
  }

  /** Counts `bytes` (and `records`) as emitted. */
  take(bytes: number, records = 0): void {
    this.#inFlight += bytes;
    this.#records += records;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  /** Counts `bytes` (and `records`) as settled; wakes a waiting source once there is room. */
  release(bytes: number, records = 0): void {
    this.#inFlight -= bytes;
    this.#records -= records;
    if (this.#waiters.length > 0 || this.#refusing) {
      if (!this.full) this.wake();
      else this.#watchdog?.progressed();
    }
  }

  /** Wakes every waiting source now, full or not (for example to let it see that it was stopped). */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#refusing = false;
    this.#watchdog?.released();
    for (const wake of waiters) wake();
  }

  /**
   * A producer was refused because the budget is full, or because something the source's settlements free is
   * (direct PUT's log): for a source that throttles its producers instead of waiting, this is its wait. The
   * watchdog runs as for {@link InFlightBudget.whenAvailable} until a release leaves the budget not full (a
   * settlement: progress; a later refusal arms it again) or {@link InFlightBudget.wake} (the source stopped).
   */
  refused(): void {
    if (this.#refusing) return; // once per wait: a refused batch calls this for each of its records
    this.#refusing = true;
    this.#watchdog?.held(() => this.#inFlight);
  }

  /** Resolves once the budget is not full (at once if it is not), or at {@link InFlightBudget.wake}. */
  whenAvailable(): Promise<void> {
    if (!this.full) return Promise.resolve();
    this.#watchdog?.held(() => this.#inFlight);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
