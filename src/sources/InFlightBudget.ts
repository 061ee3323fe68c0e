/**
 * Backpressure for sources: counts the bytes a source emitted that are not settled yet, and tells it to
 * wait while they reach the budget. RxJS has no backpressure, so this is how a slow destination slows the
 * source instead of filling the heap: records are settled by `deliverTo` once stored, which releases
 * their bytes here.
 */
export class InFlightBudget {
  #inFlight = 0;
  #peak = 0;
  #waiters: Array<() => void> = [];

  constructor(readonly maxBytes: number) {}

  /** Bytes emitted and not yet settled. */
  get inFlightBytes(): number {
    return this.#inFlight;
  }

  /** The most bytes that were ever in flight at once. */
  get peakBytes(): number {
    return this.#peak;
  }

  /** Whether the source must wait before emitting more. */
  get full(): boolean {
    return this.#inFlight >= this.maxBytes;
  }

  /** Counts `bytes` as emitted. */
  take(bytes: number): void {
    this.#inFlight += bytes;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  /** Counts `bytes` as settled; wakes a waiting source once there is room. */
  release(bytes: number): void {
    this.#inFlight -= bytes;
    if (!this.full && this.#waiters.length > 0) this.wake();
  }

  /** Wakes every waiting source now, full or not (for example to let it see that it was stopped). */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once the budget is not full (at once if it is not), or at {@link InFlightBudget.wake}. */
  whenAvailable(): Promise<void> {
    return this.full ? new Promise((resolve) => this.#waiters.push(resolve)) : Promise.resolve();
  }
}
