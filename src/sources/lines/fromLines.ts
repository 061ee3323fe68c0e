import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkNumber } from '../../options/checkNumber.js';
import type { FirehoseRecord } from '../../records/FirehoseRecord.js';
import { Settlement } from '../../settlement/Settlement.js';
import { attachSettlement } from '../../settlement/sideTable.js';
import { registerSource, watchForLoss } from '../../settlement/watchSettlement.js';
import { InFlightBudget } from '../InFlightBudget.js';

const NAME = 'fromLines';
const NEWLINE = 0x0a;
/** One record in this many is watched for a lost settlement by the garbage collector. */
const LOSS_SAMPLE = 64;

export interface FromLinesOptions {
  /** Stop reading while this many bytes were emitted and not yet settled. Default 64 MiB. */
  readonly maxInFlightBytes?: number;
  /** Stop reading when aborted: the source completes and the pipeline drains. */
  readonly signal?: AbortSignal;
  /** Clock for arrival times. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Prefix of record ids, which are `<prefix><line number>`. Default `line-`. */
  readonly recordIdPrefix?: string;
  /** Told how many bytes are in flight whenever a record is emitted or settled (for progress and memory metrics). */
  readonly onInFlight?: (budget: InFlightBudget) => void;
}

/**
 * Newline-delimited input (a file, stdin, a socket, any async iterable of bytes or strings) as a source
 * of records, one per line (with its `\n`, so objects stay newline-delimited), with bounded memory.
 *
 * <span class="informal">The shape of every rx-firehose source: records carry settlements, and reading waits while too much is unsettled.</span>
 *
 * Each record carries a settlement; reading pauses while the bytes emitted and not yet settled reach
 * `maxInFlightBytes`, and resumes as `deliverTo` settles them. So a slow destination slows reading instead
 * of filling the heap. Records must be settled for reading to go on: by `deliverTo`, or by `settleRecord`
 * in your own sink. The source completes at the end of the input or when `signal` is aborted (then it
 * stops reading at once: completing is how the pipeline drains). Empty lines are skipped; a last line
 * without `\n` is emitted with one.
 *
 * ## Example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { fromLines, directoryDestination } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * fromLines(createReadStream('events.jsonl'), { maxInFlightBytes: 32 << 20 })
 *   .pipe(bufferBySizeOrTime(), deliverTo(directoryDestination({ path: './out' })))
 *   .subscribe();
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option.
 */
export function fromLines(input: AsyncIterable<Uint8Array | string>, options: FromLinesOptions = {}): Observable<FirehoseRecord> {
  if (input === null || typeof input !== 'object' || typeof (input as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
    throw new InvalidOptionError(NAME, 'input', input, 'an async iterable of bytes or strings (a Readable stream)');
  }
  const maxInFlightBytes = checkNumber(NAME, 'maxInFlightBytes', options.maxInFlightBytes, 64 * 1_048_576, { min: 1, integer: true, unit: 'bytes' });
  const scheduler = options.scheduler ?? asyncScheduler;
  const prefix = options.recordIdPrefix ?? 'line-';
  const { signal, onInFlight } = options;
  const utf8 = new TextEncoder();

  return new Observable<FirehoseRecord>((subscriber) => {
    const budget = new InFlightBudget(maxInFlightBytes);
    // Copies of this source's records that lost their settlement are recognised by their ids.
    const unregister = registerSource({ owns: (id) => id.startsWith(prefix), waiting: () => budget.inFlightBytes > 0 });
    subscriber.add(unregister);
    let stopped = false;
    let lineNumber = 0;
    // Wakes the reader while it waits for the next chunk of an idle input (stdin with nothing to read).
    let wakeReader: (() => void) | undefined;
    const stop = (): void => {
      stopped = true;
      budget.wake();
      wakeReader?.();
    };
    if (signal?.aborted) stopped = true;
    signal?.addEventListener('abort', stop, { once: true });
    // Waits while the budget is full, or until stopped (stop wakes the budget's waiters).
    const room = (): Promise<void> | undefined => (budget.full ? budget.whenAvailable() : undefined);

    const emit = (data: Uint8Array): void => {
      const size = data.byteLength;
      const now = scheduler.now();
      const record: FirehoseRecord = { recordId: `${prefix}${lineNumber++}`, data, approximateArrivalTimestamp: now };
      const settlement = new Settlement(() => {
        budget.release(size);
        onInFlight?.(budget);
      });
      attachSettlement(record, settlement);
      // A settlement lost downstream (a dropped record) would stall reading: error instead. Sampled, and
      // always the record that fills the budget, which a stalled source waits on.
      if (lineNumber % LOSS_SAMPLE === 0 || budget.inFlightBytes + size >= maxInFlightBytes) {
        watchForLoss(settlement, record.recordId, (err) => subscriber.error(err));
      }
      budget.take(size);
      onInFlight?.(budget);
      subscriber.next(record);
    };

    const iterator = input[Symbol.asyncIterator]();
    let exhausted = false;
    // The next chunk, or undefined once stopped: stopping does not wait for an idle input to speak. The
    // handlers are made once, not per chunk: this runs once per chunk, which may be one line.
    let settle: ((chunk: Uint8Array | string | undefined) => void) | undefined;
    let fail: ((err: unknown) => void) | undefined;
    const onResult = (r: IteratorResult<Uint8Array | string>): void => {
      if (r.done) exhausted = true;
      settle?.(r.done ? undefined : r.value);
    };
    const onError = (err: unknown): void => fail?.(err);
    const capture = (resolve: (chunk: Uint8Array | string | undefined) => void, reject: (err: unknown) => void): void => {
      settle = resolve;
      fail = reject;
    };
    wakeReader = () => settle?.(undefined);
    const nextChunk = (): Promise<Uint8Array | string | undefined> => {
      if (stopped) return Promise.resolve(undefined);
      const chunk = new Promise<Uint8Array | string | undefined>(capture);
      iterator.next().then(onResult, onError);
      return chunk;
    };

    const read = async (): Promise<void> => {
      let carry: Uint8Array | undefined;
      for (let piece = await nextChunk(); piece !== undefined && !stopped && !subscriber.closed; piece = await nextChunk()) {
        const chunk = typeof piece === 'string' ? utf8.encode(piece) : piece;
        let start = 0;
        let end = chunk.indexOf(NEWLINE);
        while (end !== -1) {
          // A view, not a copy: a record keeps its chunk (≤ 64 KiB) alive until it settles, which is cheaper
          // than one buffer per line. A Buffer chunk gives plain Uint8Array views too.
          const line = carry === undefined ? new Uint8Array(chunk.buffer, chunk.byteOffset + start, end + 1 - start) : concat(carry, chunk.subarray(start, end + 1));
          carry = undefined;
          if (line.byteLength > 1) {
            const wait = room();
            if (wait !== undefined) await wait; // no await (and no microtask) per line while there is room
            if (stopped || subscriber.closed) break;
            emit(line);
          }
          start = end + 1;
          end = chunk.indexOf(NEWLINE, start);
        }
        if (stopped || subscriber.closed) break;
        if (start < chunk.byteLength) carry = carry === undefined ? new Uint8Array(chunk.subarray(start)) : concat(carry, chunk.subarray(start));
      }
      if (!exhausted) {
        // Stopped early: close the input (a Readable is destroyed), without waiting for it.
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
        return;
      }
      if (carry !== undefined && !stopped && !subscriber.closed) {
        await room();
        if (!stopped && !subscriber.closed) emit(concat(carry, Uint8Array.of(NEWLINE)));
      }
    };

    read().then(
      () => subscriber.complete(),
      (err: unknown) => subscriber.error(err),
    );
    return () => {
      stop();
      signal?.removeEventListener('abort', stop);
    };
  });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
