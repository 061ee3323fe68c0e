/**
 * A counting semaphore with a FIFO queue, granting synchronously (so it works the same in virtual time):
 * `deliverTo` keeps one for send slots (`concurrency`) and one for pending acknowledgements
 * (`maxPendingAcks`).
 */
export class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly capacity: number) {
    this.#free = capacity;
  }

  /** Slots taken now. */
  get inUse(): number {
    return this.capacity - this.#free;
  }

  /**
   * Calls `granted` once a slot is this caller's: at once when one is free, else in turn. Returns a
   * function that withdraws a request not granted yet (after the grant it does nothing).
   */
  take(granted: () => void): () => void {
    if (this.#free > 0 && this.#waiting.length === 0) {
      this.#free--;
      granted();
      return () => undefined;
    }
    this.#waiting.push(granted);
    return () => {
      const at = this.#waiting.indexOf(granted);
      if (at >= 0) this.#waiting.splice(at, 1);
    };
  }

  /** Gives a slot back; the longest waiter gets it, synchronously. */
  give(): void {
    const next = this.#waiting.shift();
    // Handed straight to the next waiter: the count of free slots does not change.
    if (next !== undefined) next();
    else this.#free++;
  }
}

/** One batch's claim on a {@link Slots}: taken and given at most once at a time, and given back on teardown. */
export class SlotClaim {
  #held = false;
  #withdraw: (() => void) | undefined;

  constructor(readonly slots: Slots) {}

  get held(): boolean {
    return this.#held;
  }

  /** Calls `then` once the slot is held (at once if it already is). */
  take(then: () => void): void {
    if (this.#held) {
      then();
      return;
    }
    this.#withdraw?.();
    this.#withdraw = this.slots.take(() => {
      this.#withdraw = undefined;
      this.#held = true;
      then();
    });
  }

  /** Gives the slot back if held, and withdraws a request still waiting. */
  give(): void {
    this.#withdraw?.();
    this.#withdraw = undefined;
    if (!this.#held) return;
    this.#held = false;
    this.slots.give();
  }
}
