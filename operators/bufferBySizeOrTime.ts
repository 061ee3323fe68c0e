import { asyncScheduler, Observable } from 'rxjs';
import { budgetFull } from '../src/batching/budgetFull.js';
import { fitsInBatch } from '../src/batching/fitsInBatch.js';
import type { OperatorFunction, SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { noteBatchBytes } from '../src/delivery/batchBytes.js';
import { InvalidOptionError } from '../src/errors/InvalidOptionError.js';
import { checkNumber } from '../src/options/checkNumber.js';
import { byteSizeOf } from '../src/records/byteSizeOf.js';

const NAME = 'bufferBySizeOrTime';

/** 1 MiB, the default byte budget of a batch. */
export const DEFAULT_MAX_BYTES = 1_048_576;
/** 60 s, the default time a batch may wait after its first value. */
export const DEFAULT_MAX_MS = 60_000;
/** The longest timer a scheduler can run (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Why a batch was emitted.
 * - `size`: the next value would have taken the batch over `maxBytes`, or the batch reached `maxBytes`
 *   (including a single value of `maxBytes` or more, which goes out alone).
 * - `count`: the batch reached `maxRecords`.
 * - `budget`: the value filled its source's in-flight budget (`maxInFlightBytes` or `maxInFlightRecords` of
 *   `fromLines`, `maxInFlightBytes` of direct PUT and `fromKinesisStream`) and the batch holds at least half
 *   of what the source has in flight, or is three quarters full (`maxBytes` or `maxRecords`): the source
 *   reads nothing more until records settle.
 * - `time`: `maxMs` passed since the batch's first value.
 * - `complete`: the source completed.
 * - `error`: the source errored, or `sizeOf` / `onFlush` failed; the batch goes out before the error.
 */
export type FlushReason = 'size' | 'count' | 'budget' | 'time' | 'complete' | 'error';

/** What `onFlush` learns about each batch, just before the batch is emitted. */
export interface BatchFlush {
  readonly reason: FlushReason;
  /** Number of values in the batch. */
  readonly records: number;
  /** Sum of `sizeOf` over the batch. */
  readonly bytes: number;
  /** `scheduler.now()` when the batch's first value arrived. */
  readonly openedAtMs: number;
  /** `scheduler.now()` when the batch was emitted. */
  readonly flushedAtMs: number;
}

export interface BufferBySizeOrTimeOptions<T> {
  /** Byte budget of a batch; a batch never goes over it unless it is one oversize value. Default 1 MiB. */
  readonly maxBytes?: number | undefined;
  /** How long a batch may wait after its first value; `0` means "at the end of the current frame". Default 60 s. */
  readonly maxMs?: number | undefined;
  /** Most values in a batch. Default: no limit. */
  readonly maxRecords?: number | undefined;
  /** Size of one value in bytes. Default: UTF-8 bytes of a string, `byteLength` of bytes, size of `{ data }`. */
  readonly sizeOf?: ((value: T) => number) | undefined;
  /** Where the timer runs and the clock is read. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /**
   * Called with each batch and why it flushed, just before the batch is emitted; the batch array is the one
   * that will be emitted (do not change it). If it throws, the batch is still emitted, then whatever else is
   * buffered, then the stream errors with what it threw; it is not called again.
   */
  readonly onFlush?: ((batch: readonly T[], flush: BatchFlush) => void) | undefined;
}

/**
 * Buffers values into arrays and emits each array when it reaches a byte budget or a record count, or
 * when a time limit after its first value has passed: whichever comes first.
 *
 * <span class="informal">Firehose's "1 MiB or 60 seconds", exact: never an empty batch, never over budget.</span>
 *
 * ```
 * maxBytes: 10, maxMs: 5, sizes a=4 b=4 c=6 d=4 e=12
 *
 * source: -a-b------c-d---e|
 * result: ------x-----y---z|
 *
 * x = [a, b]  time: 5 ms after a, its first value
 * y = [c, d]  size: 6 + 4 reaches the budget exactly, out at once
 * z = [e]     size: bigger than the budget on its own, out alone at once
 * ```
 *
 * The rules, each proven by a marble test (see `docs/semantics.md`):
 * 1. Sizes come from `sizeOf`; the default counts UTF-8 bytes of strings, `byteLength` of bytes and the size
 *    of a record's `data`. Any other value, or a `sizeOf` that throws or returns a negative or non-finite
 *    number, errors the stream after what was buffered before that value is emitted.
 * 2. Never over budget: when a value would take the batch over `maxBytes`, the batch is emitted first and
 *    the value starts the next one.
 * 3. Full means now: reaching `maxBytes` exactly, or `maxRecords`, emits in the same frame.
 * 4. A value larger than `maxBytes` goes out alone, at once, after what was buffered before it.
 * 5. A batch is emitted `maxMs` after its first value, unless rules 2–4 emitted it earlier; the next batch's
 *    timer starts at its own first value. Nothing is emitted while idle: never an empty array.
 * 6. Completion emits what is buffered, then completes: completing the source is how a pipeline drains.
 *    A source error emits what is buffered, then passes the error on. Unsubscribing cancels the timer and
 *    emits nothing.
 * 7. `maxMs: 0` schedules the flush with zero delay when a batch opens: values that arrive in the same
 *    scheduler frame, before that action runs, share the batch; nothing waits past that frame.
 *
 * And a full source flushes (rule 10): when the value that fills its source's in-flight budget leaves at
 * least half of what the source has in flight (records or bytes) in this batch, or the batch is three quarters
 * full (`maxBytes` or `maxRecords`), it goes out in the same frame (reason `budget`), since the source reads
 * nothing more until records settle. Otherwise the rest settles further down and the batch fills as usual.
 * `fromLines`, direct PUT and `fromKinesisStream` tell it so, through synchronous operators (`map`,
 * `filter`) between them.
 *
 * Each emitted batch is a plain array; why it was emitted is told to `onFlush`.
 *
 * ## Example
 * ```ts
 * import { interval, map } from 'rxjs';
 * import { bufferBySizeOrTime } from 'rx-firehose/operators';
 *
 * interval(10).pipe(
 *   map((i) => JSON.stringify({ i }) + '\n'),
 *   bufferBySizeOrTime({
 *     maxBytes: 1 << 20,
 *     maxMs: 60_000,
 *     onFlush: (batch, { reason, bytes }) => console.log(reason, batch.length, bytes),
 *   }),
 * ).subscribe((batch) => console.log(batch.length));
 * ```
 *
 * @param options Byte budget, time limit, record limit, size function, scheduler and flush hook.
 * @returns An operator that emits non-empty arrays of the source's values, in order, each value once.
 * @throws {InvalidOptionError} at the call, for an option out of its range.
 * @see {@link byteSizeOf} for the default size function.
 */
export function bufferBySizeOrTime<T>(options: BufferBySizeOrTimeOptions<T> = {}): OperatorFunction<T, T[]> {
  const maxBytes = checkNumber(NAME, 'maxBytes', options.maxBytes, DEFAULT_MAX_BYTES, {
    min: 0,
    minExclusive: true,
    unit: 'bytes',
  });
  const maxMs = checkNumber(NAME, 'maxMs', options.maxMs, DEFAULT_MAX_MS, { min: 0, max: MAX_TIMER_MS, unit: 'ms' });
  const maxRecords = checkNumber(NAME, 'maxRecords', options.maxRecords, Infinity, { min: 1, integer: true });
  const sizeOf = checkFunction('sizeOf', options.sizeOf);
  // What counted the sizes, noted with each batch so that deliverTo does not count its records again.
  const counter = (sizeOf ?? byteSizeOf) as (value: never) => number;
  const onFlush = checkFunction('onFlush', options.onFlush);
  const scheduler = options.scheduler ?? asyncScheduler;
  if (typeof scheduler.schedule !== 'function' || typeof scheduler.now !== 'function') {
    throw new InvalidOptionError(NAME, 'scheduler', scheduler, 'a SchedulerLike (with schedule and now)');
  }

  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let bytes = 0;
      let openedAtMs = 0;
      // One timer action serves batch after batch: a batch flushed by size or count leaves it running, and when
      // it fires it flushes the open batch if that batch's maxMs has passed, else waits again for the rest of
      // it (see onTimer). So a stream of full batches costs one timer per maxMs, not one per batch.
      let timer: Subscription | null = null;
      // Set once the stream is ending (completion, error, unsubscribe): later values are ignored (a
      // synchronous source may keep pushing until its loop notices that we unsubscribed).
      let closed = false;
      // Batches taken out of the state and waiting to be emitted, in order, and how the stream ends once
      // they are out. One loop emits them; a value, completion or error arriving re-entrantly while a batch
      // is being emitted only adds to this queue, so batches keep their order and none is skipped.
      const pending: Array<{ batch: T[]; reason: FlushReason; bytes: number; openedAtMs: number }> = [];
      let ending: { error: unknown } | 'complete' | undefined;
      let emitting = false;
      let hookFailed = false;

      const cancelTimer = (): void => {
        if (timer !== null) {
          timer.unsubscribe();
          timer = null;
        }
      };

      // Moves the open batch to the queue. The timer keeps running (see onTimer) unless the stream ends.
      const take = (reason: FlushReason): void => {
        noteBatchBytes(batch, bytes, counter);
        pending.push({ batch, reason, bytes, openedAtMs });
        batch = [];
        bytes = 0;
      };

      // Emits the queued batches in order, then ends the stream if it is ending. Not re-entrant.
      const drain = (): void => {
        if (emitting) return;
        emitting = true;
        try {
          while (pending.length > 0 && !subscriber.closed) {
            const out = pending.shift()!;
            if (onFlush !== undefined && !hookFailed) {
              try {
                onFlush(out.batch, {
                  reason: out.reason,
                  records: out.batch.length,
                  bytes: out.bytes,
                  openedAtMs: out.openedAtMs,
                  flushedAtMs: scheduler.now(),
                });
              } catch (err) {
                // The batch still goes out, then what is buffered, then the error (even if the source
                // had completed: the hook's error is not lost).
                hookFailed = true;
                if (closed && ending === 'complete') ending = { error: err };
                else end({ error: err });
              }
            }
            subscriber.next(out.batch);
          }
        } finally {
          emitting = false;
        }
        if (ending !== undefined && pending.length === 0 && !subscriber.closed) {
          if (ending === 'complete') subscriber.complete();
          else subscriber.error(ending.error);
        }
      };

      // Starts ending the stream: what is buffered is queued first. The first end wins.
      const end = (how: { error: unknown } | 'complete'): void => {
        if (closed) return;
        closed = true;
        ending = how;
        if (batch.length > 0) take(how === 'complete' ? 'complete' : 'error');
        cancelTimer();
      };

      // Runs when the timer's action fires: the open batch (maybe not the one it was started for) goes out if
      // its maxMs has passed; otherwise the same action waits for the rest of that batch's maxMs. With no
      // batch open the action ends, and the next batch starts a new one.
      function onTimer(this: SchedulerAction<undefined>): void {
        timer = null;
        if (closed || batch.length === 0) return;
        const now = scheduler.now();
        const dueMs = openedAtMs + maxMs;
        if (now < dueMs) {
          timer = this;
          this.schedule(undefined, dueMs - now);
          return;
        }
        take('time');
        drain();
      }

      const sourceSubscription = source.subscribe({
        next: (value) => {
          if (closed) return;
          let size: number;
          try {
            // The default is called directly, not through `sizeOf`: this call site is shared by every
            // bufferBySizeOrTime of the process, and one that sees many user functions goes megamorphic.
            size = sizeOf === undefined ? byteSizeOf(value) : sizeOf(value);
          } catch (err) {
            end({ error: err });
            drain();
            return;
          }
          if (!(size >= 0 && size < Infinity)) {
            end({ error: new RangeError(`${NAME}: sizeOf returned ${String(size)}; it must return a finite number ≥ 0 (bytes)`) });
            drain();
            return;
          }
          // Rule 2: the value does not fit; the buffered batch goes out first, the value opens the next.
          if (!fitsInBatch(batch.length, bytes, size, maxBytes)) take('size');
          batch.push(value);
          bytes += size;
          if (batch.length === 1) openedAtMs = scheduler.now();
          // Rules 3 and 4: exactly full, or one oversize value, or the record limit: out at once.
          if (bytes >= maxBytes) take('size');
          else if (batch.length >= maxRecords) take('count');
          // Rule 10: the source waits for records to settle, and most of them are here.
          else if (budgetFull(batch.length, bytes, maxBytes, maxRecords)) take('budget');
          else if (batch.length === 1 && timer === null) timer = scheduler.schedule(onTimer, maxMs);
          if (pending.length > 0) drain();
        },
        error: (err: unknown) => {
          end({ error: err });
          drain();
        },
        complete: () => {
          end('complete');
          drain();
        },
      });

      return () => {
        closed = true;
        cancelTimer();
        batch = [];
        pending.length = 0;
        sourceSubscription.unsubscribe();
      };
    });
}

function checkFunction<F>(option: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidOptionError(NAME, option, value, 'a function');
  }
  return value;
}
