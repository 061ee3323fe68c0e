import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { MetricSink } from '../metrics/MetricSink.js';
import { SettlementStallError } from './SettlementStallError.js';

/** 15 minutes: longer than a batch's default retry duration (300 s) plus an acknowledgement timeout (180 s) and the longest buffer interval (900 s is Firehose's maximum; its default is 300 s). */
export const DEFAULT_STALL_TIMEOUT_MS = 900_000;

/** What a source does when its budget is held and nothing settles: warn (metric and process warning) or error. */
export type StallAction = 'warn' | 'error';

/** A source's options for noticing that it stopped for good (its budget full, nothing settling). */
export interface StallOptions {
  /** How long the in-flight budget may stay full with nothing settling before the source reports a stall. Default 900,000 ms (15 min); 1 ms–24 h. */
  readonly stallTimeoutMs?: number | undefined;
  /**
   * `warn` (default): metrics (`<source>.SettlementStalls`, `<source>.StalledBytes`) and a process warning
   * `SettlementStallWarning` naming the likely cause, again after every further `stallTimeoutMs`; `error`:
   * the metrics, and the source errors with `SettlementStallError` (no warning besides).
   */
  readonly onStall?: StallAction | undefined;
  /** Receives the stall metrics. */
  readonly metrics?: MetricSink | undefined;
}

export interface StallWatchdogOptions extends StallOptions {
  /** The source's name, in metric names (`<name>.SettlementStalls`, `<name>.StalledBytes`) and, without `where`, in messages. */
  readonly name: string;
  /**
   * What the messages (and {@link SettlementStallError.where}) name, when the source's name alone does not say
   * which of several is stalled: `delivery stream clicks` for a direct-PUT stream. Default `name`.
   */
  readonly where?: string | undefined;
  /** Where the timeout runs. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /** Told the {@link SettlementStallError} with `onStall: 'error'`. */
  readonly onError?: ((error: SettlementStallError) => void) | undefined;
}

/**
 * Notices a source that stopped for good: its in-flight budget is full (it waits for records to settle)
 * and nothing settles for `stallTimeoutMs`. The budget tells it when it starts waiting ({@link held}),
 * when a record settles while it waits ({@link progressed}) and when it stops waiting ({@link released});
 * nothing runs per record outside a wait. A lost settlement is found by the garbage collector too
 * (`watchForLoss`), but only when it collects; this bound holds whatever the collector does.
 *
 * ```
 * budget:   ──full──────────────────────────────────────────▶
 * settles:  ──────x──────────────────────(none)──────────────
 * timer:          ├──── stallTimeoutMs ────┤ stall: metric + warning (or error)
 * ```
 */
export class StallWatchdog {
  readonly stallTimeoutMs: number;
  readonly #options: StallWatchdogOptions;
  readonly #scheduler: SchedulerLike;
  #timer: Subscription | undefined;
  #heldBytes: () => number = () => 0;

  constructor(options: StallWatchdogOptions) {
    this.#options = options;
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.#scheduler = options.scheduler ?? asyncScheduler;
  }

  /** The source waits for a full budget holding `heldBytes()` bytes: the timeout starts unless it runs already. */
  held(heldBytes: () => number): void {
    this.#heldBytes = heldBytes;
    if (this.#timer === undefined) this.#arm(this.stallTimeoutMs);
  }

  /** A record settled while the source waits: the timeout starts again. */
  progressed(): void {
    if (this.#timer === undefined) return;
    this.#timer.unsubscribe();
    this.#arm(this.stallTimeoutMs);
  }

  /** The source no longer waits (room again, or stopped). */
  released(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
  }

  #arm(delayMs: number, stalledMs = delayMs): void {
    this.#timer = this.#scheduler.schedule(() => this.#stalled(stalledMs), delayMs);
  }

  #stalled(stalledMs: number): void {
    const { name, where, metrics, onStall, onError } = this.#options;
    const error = new SettlementStallError(where ?? name, this.#heldBytes(), stalledMs);
    metrics?.(`${name}.SettlementStalls`, 1, 'Count');
    metrics?.(`${name}.StalledBytes`, error.heldBytes, 'Bytes');
    if (onStall === 'error') {
      this.#timer = undefined;
      onError?.(error); // the error says it all: no warning besides
      return;
    }
    process.emitWarning(error.message, { type: 'SettlementStallWarning', code: 'RX_FIREHOSE_SETTLEMENT_STALL' });
    // Still stalled: say so again after every further timeout, with the whole time so far.
    this.#arm(this.stallTimeoutMs, stalledMs + this.stallTimeoutMs);
  }
}
