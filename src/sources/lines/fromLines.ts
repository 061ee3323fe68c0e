import { asyncScheduler, lastValueFrom, Observable, type SchedulerLike } from 'rxjs';
import { emitFillingBudget } from '../../batching/budgetFull.js';
import { checkErrorOutput } from '../../delivery/checkErrorOutput.js';
import type { ErrorOutput } from '../../destinations/Destination.js';
import { writeToErrorOutput } from '../../delivery/writeToErrorOutput.js';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkKind } from '../../options/checkKind.js';
import { checkNumber } from '../../options/checkNumber.js';
import { FIREHOSE_BACKOFF } from '../../retry/backoffDelayMs.js';
import type { FirehoseRecord } from '../../records/FirehoseRecord.js';
import { checkStallOptions } from '../../settlement/checkStallOptions.js';
import type { LostSettlementError } from '../../settlement/LostSettlementError.js';
import type { StallOptions } from '../../settlement/StallWatchdog.js';
import { registerSource } from '../../settlement/watchSettlement.js';
import type { InFlightBudget } from '../InFlightBudget.js';
import { SourceRuntime } from '../sourceRuntime.js';
import { holdsLines } from './linesIn.js';

const NAME = 'fromLines';
const NEWLINE = 0x0a;
/** One record in this many is watched for a lost settlement by the garbage collector. */
const LOSS_SAMPLE = 64;
/** Records in flight unless told otherwise: see `maxInFlightRecords`. */
export const DEFAULT_MAX_IN_FLIGHT_RECORDS = 16_384;
/** Bytes in flight unless told otherwise: see `maxInFlightBytes`. */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 64 * 1_048_576;
/**
 * The read size of the files the CLI reads with `fromLines` (the main job's reused read buffers, the `highWaterMark`
 * of `run`'s file streams). A file stream's default, 64 KiB, is 16 reads, 16 pool round trips and 16 chunks per MiB; at 1 MiB the CLI's GZIP job ran 4–5%
 * faster (100 MiB of JSON lines, rounds alternating), for ≈ 5 MiB more RSS (a record keeps its chunk alive).
 */
export const FILE_READ_CHUNK_BYTES = 1_048_576;

export interface FromLinesOptions extends StallOptions {
  /** Stop reading while this many bytes were emitted and not yet settled. Default 64 MiB. */
  readonly maxInFlightBytes?: number | undefined;
  /**
   * Stop reading while this many records were emitted and not yet settled. Default 16,384 (2^14). Each
   * record in flight costs about 200 bytes of heap besides its data (its object, its `Uint8Array` view, its
   * id), and keeps its read chunk alive; records that live long are promoted to the old generation, whose
   * garbage (and the chunks it holds) is freed only by a full collection. So for short lines this bounds
   * memory better than bytes do: 2^14 lines of 128 bytes are 2 MiB, two 1 MiB batches in flight (both
   * compressing, or one compressing while the next fills). Raise it (with `deliverTo`'s `concurrency`) to keep
   * more batches in flight to a slow destination. The record that fills the budget flushes
   * `bufferBySizeOrTime`'s batch at once (reason
   * `budget`): a batch never waits for records that cannot come.
   */
  readonly maxInFlightRecords?: number | undefined;
  /** Stop reading when aborted: the source completes and the pipeline drains. */
  readonly signal?: AbortSignal | undefined;
  /** Clock for arrival times. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /** Prefix of record ids, which are `<prefix><line number>`. Default `line-`. */
  readonly recordIdPrefix?: string | undefined;
  /** Told how many bytes are in flight whenever a record is emitted or settled (for progress and memory metrics). */
  readonly onInFlight?: ((budget: InFlightBudget) => void) | undefined;
  /**
   * The longest record, in bytes with its `\n`. Default 1,024,000 (Firehose's record limit). A longer line
   * is never held in memory whole: it goes to `errorOutput` as a `processing-failed` failure record
   * (`errorCode` `Source.RecordTooLarge`, `rawData` its first `maxRecordBytes` bytes), and reading goes on.
   */
  readonly maxRecordBytes?: number | undefined;
  /**
   * Where lines longer than `maxRecordBytes` go. Without one, such a line errors the source with an
   * `UndeliverableRecordsError`.
   */
  readonly errorOutput?: ErrorOutput | undefined;
  /**
   * Told the input's byte offset below which every line was settled (delivered, dropped or written to the
   * error output), whenever it moves forward. Save it, and read the input from there on a restart: nothing
   * is lost, and what is repeated is at most what was in flight.
   */
  readonly onCheckpoint?: ((offsetBytes: number) => void) | undefined;
  /**
   * Join consecutive lines into records of up to this many bytes, as the Kinesis Agent's
   * `aggregatedRecordSizeBytes` does: each record is then a run of whole lines (each with its `\n`) instead of
   * one line. Default 0: a record per line. For a destination that concatenates records (S3, a directory)
   * and no per-record stage (no Lambda, no dynamic partitioning, no format conversion), the objects delivered
   * hold the same bytes either way, and a 64 KiB record is one record to buffer, settle and checkpoint where
   * its ~500 lines were ~500: the CLI's GZIP job ran 1.7× faster (docs/sources/lines.md). A run never waits for
   * input (it ends with the chunk read last) and never splits a line: a line longer than this is a record of
   * its own, as is a line that spans two read chunks. {@link linesIn} tells how many lines a record holds.
   * At most `maxRecordBytes`.
   */
  readonly aggregatedRecordSizeBytes?: number | undefined;
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
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(NAME, 'options', options, 'an object');
  const maxInFlightBytes = checkNumber(NAME, 'maxInFlightBytes', options.maxInFlightBytes, DEFAULT_MAX_IN_FLIGHT_BYTES, {
    min: 1,
    integer: true,
    unit: 'bytes',
  });
  const maxInFlightRecords = checkNumber(NAME, 'maxInFlightRecords', options.maxInFlightRecords, DEFAULT_MAX_IN_FLIGHT_RECORDS, {
    min: 1,
    integer: true,
  });
  const maxRecordBytes = checkNumber(NAME, 'maxRecordBytes', options.maxRecordBytes, 1_024_000, { min: 2, integer: true, unit: 'bytes' });
  const aggregateBytes: unknown = options.aggregatedRecordSizeBytes === undefined ? 0 : options.aggregatedRecordSizeBytes;
  if (typeof aggregateBytes !== 'number' || !Number.isInteger(aggregateBytes) || aggregateBytes < 0 || aggregateBytes > maxRecordBytes) {
    throw new InvalidOptionError(
      NAME,
      'aggregatedRecordSizeBytes',
      aggregateBytes,
      `an integer from 0 to maxRecordBytes (${maxRecordBytes}) (bytes)`,
    );
  }
  const scheduler = checkKind(NAME, 'scheduler', options.scheduler, 'scheduler', asyncScheduler);
  const prefix = checkKind(NAME, 'recordIdPrefix', options.recordIdPrefix, 'string', 'line-');
  const signal = checkKind(NAME, 'signal', options.signal, 'signal', undefined);
  const onInFlight = checkKind(NAME, 'onInFlight', options.onInFlight, 'function', undefined) as FromLinesOptions['onInFlight'];
  const onCheckpoint = checkKind(NAME, 'onCheckpoint', options.onCheckpoint, 'function', undefined) as FromLinesOptions['onCheckpoint'];
  const errorOutput = checkErrorOutput(NAME, 'errorOutput', options.errorOutput);
  const watchdogFor = checkStallOptions(NAME, options, scheduler);
  const utf8 = new TextEncoder();

  return new Observable<FirehoseRecord>((subscriber) => {
    // Each record's settlement is a slot of the runtime that knows where its line ends: the checkpoint.
    const runtime = new SourceRuntime({
      maxInFlightBytes,
      maxInFlightRecords,
      onInFlight,
      watchdog: watchdogFor((err) => subscriber.error(err)),
      onCommitted: onCheckpoint,
    });
    const { budget } = runtime;
    // Copies of this source's records that lost their settlement are recognised by their ids.
    const unregister = registerSource({ owns: (id) => id.startsWith(prefix), waiting: () => runtime.unsettled > 0 });
    subscriber.add(unregister);
    let lineNumber = 0;
    // Wakes the reader while it waits for the next chunk of an idle input (stdin with nothing to read).
    let wakeReader: (() => void) | undefined;
    const stop = (): void => {
      runtime.stop();
      wakeReader?.();
    };
    if (signal?.aborted) runtime.stop();
    signal?.addEventListener('abort', stop, { once: true });
    const track = (end: number): void => runtime.skip(end);
    const onLost = (err: LostSettlementError): void => subscriber.error(err);

    // The arrival time of the lines of the chunk read last: the clock is read once per chunk, not per line,
    // and its records share one number.
    let arrivalMs = 0;
    let emitted = 0;
    // A record of `lines` lines (more than one when aggregated); its id is its first line's number.
    const emit = (data: Uint8Array, endOffset: number, lines = 1): void => {
      // Read before the record takes its bytes: does it fill the budget?
      const fills = budget.inFlightBytes + data.byteLength >= maxInFlightBytes || budget.inFlightRecords + 1 >= maxInFlightRecords;
      const n = lineNumber;
      lineNumber += lines;
      // A settlement lost downstream (a dropped record) would stall reading: error instead. Sampled, and
      // always the record that fills the budget, which a stalled source waits on.
      const watched = ++emitted % LOSS_SAMPLE === 0 || fills;
      const record = runtime.record(prefix + n, data, arrivalMs, endOffset, watched ? onLost : undefined);
      if (lines > 1) holdsLines(record, lines);
      // Reading now waits for records to settle: a buffer downstream must not wait for more to fill its batch.
      if (fills) emitFillingBudget(budget, () => subscriber.next(record));
      else subscriber.next(record);
    };

    // Emits a record now if the budget has room (no promise, no microtask: this runs per line), else once it has.
    const emitWhenRoom = (data: Uint8Array, endOffset: number, lines = 1): Promise<void> | undefined => {
      const wait = runtime.room();
      if (wait === undefined) {
        emit(data, endOffset, lines);
        return undefined;
      }
      return wait.then(() => {
        if (!runtime.stopped && !subscriber.closed) emit(data, endOffset, lines);
      });
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
      if (runtime.stopped) return Promise.resolve(undefined);
      const chunk = new Promise<Uint8Array | string | undefined>(capture);
      iterator.next().then(onResult, onError);
      return chunk;
    };

    // A line longer than maxRecordBytes: its first maxRecordBytes bytes go to the error output as a failure record.
    const tooLarge = async (head: Uint8Array, lineBytes: number, endOffset: number): Promise<void> => {
      const now = scheduler.now();
      const record: FirehoseRecord = { recordId: `${prefix}${lineNumber++}`, data: head, approximateArrivalTimestamp: now };
      const failure = {
        errorCode: 'Source.RecordTooLarge',
        errorMessage: `the line is ${lineBytes} bytes, more than maxRecordBytes (${maxRecordBytes}); rawData holds its first ${head.byteLength} bytes`,
        attemptsMade: 0,
        attemptEndingTimestamp: now,
      };
      const policy = { retryDurationMs: 0, backoff: FIREHOSE_BACKOFF, random: Math.random, scheduler };
      const abort = new AbortController();
      await lastValueFrom(
        writeToErrorOutput(
          {
            records: [record],
            failures: [failure],
            stage: NAME,
            errorOutputType: 'processing-failed',
            batchId: record.recordId,
            fallbackArrivalMs: now,
          },
          errorOutput,
          policy,
          abort.signal,
        ),
        { defaultValue: undefined },
      );
      track(endOffset);
    };

    const read = async (): Promise<void> => {
      // The line read so far without its newline: its pieces (only its first maxRecordBytes bytes are kept,
      // copied once each, so a long line costs linear time) and its full length.
      let parts: Uint8Array[] = [];
      let kept = 0;
      let lineBytes = 0;
      let offset = 0; // input bytes before the current chunk
      const keep = (piece: Uint8Array): void => {
        const room = maxRecordBytes - kept;
        if (room > 0 && piece.byteLength > 0) {
          const copy = new Uint8Array(piece.subarray(0, room));
          parts.push(copy);
          kept += copy.byteLength;
        }
        lineBytes += piece.byteLength;
      };
      // Forgets the pending line (after it was emitted or sent to the error output). Most lines lie within
      // one chunk and have no parts: no new array for them (an array per line was a tenth of the garbage).
      const reset = (): void => {
        if (parts.length > 0) parts = [];
        kept = 0;
        lineBytes = 0;
      };
      // Ends the pending line with `last` (which holds its newline): emits it, or sends it to the error output.
      // Returns a promise only when it must wait (no await, and no microtask, per line while there is room).
      const endLine = (last: Uint8Array, endOffset: number): Promise<void> | undefined => {
        const total = lineBytes + last.byteLength;
        if (total <= 1) {
          track(endOffset); // an empty line: skipped
          reset();
          return undefined;
        }
        if (total > maxRecordBytes) {
          keep(last);
          const head = concat(parts, Math.min(kept, maxRecordBytes));
          reset();
          return tooLarge(head, total, endOffset);
        }
        // A view, not a copy, for a line within one chunk: a record keeps its chunk (64 KiB from a file stream by
        // default) alive until it settles, which is cheaper than one buffer per line. A Buffer chunk gives plain
        // Uint8Array views too.
        const line = parts.length === 0 ? last : concat([...parts, last], total);
        reset();
        return emitWhenRoom(line, endOffset);
      };
      for (let piece = await nextChunk(); piece !== undefined && !runtime.stopped && !subscriber.closed; piece = await nextChunk()) {
        const chunk = typeof piece === 'string' ? utf8.encode(piece) : piece;
        arrivalMs = scheduler.now();
        // Each line is one plain Uint8Array view of the chunk, made here (no Buffer subarray first).
        const bytes = chunk.buffer;
        const base = chunk.byteOffset;
        // The run of whole lines being aggregated (aggregatedRecordSizeBytes): from runStart to runEnd of this chunk.
        let runStart = -1;
        let runEnd = 0;
        let runLines = 0;
        const endRun = (): Promise<void> | undefined => {
          const from = runStart;
          runStart = -1;
          return emitWhenRoom(new Uint8Array(bytes, base + from, runEnd - from), offset + runEnd, runLines);
        };
        let start = 0;
        let end = chunk.indexOf(NEWLINE);
        while (end !== -1) {
          const lineEnd = end + 1;
          const length = lineEnd - start;
          // A line whole in this chunk, not empty, that fits a run: joins it (ending the run first if it is full).
          // Nothing is emitted while a run grows: no stop check per line then (a getter and a signal each).
          if (length <= aggregateBytes && length > 1 && lineBytes === 0) {
            if (runStart >= 0 && lineEnd - runStart > aggregateBytes) {
              const waiting = endRun();
              if (waiting !== undefined) await waiting;
              if (runtime.stopped || subscriber.closed) break;
            }
            if (runStart < 0) {
              runStart = start;
              runLines = 0;
            }
            runEnd = lineEnd;
            runLines++;
            start = lineEnd;
            end = chunk.indexOf(NEWLINE, start);
            continue;
          }
          if (runStart >= 0) {
            const ending = endRun();
            if (ending !== undefined) await ending;
            if (runtime.stopped || subscriber.closed) break;
          }
          const waiting = endLine(new Uint8Array(bytes, base + start, length), offset + lineEnd);
          if (waiting !== undefined) await waiting;
          if (runtime.stopped || subscriber.closed) break;
          start = lineEnd;
          end = chunk.indexOf(NEWLINE, start);
        }
        if (runStart >= 0 && !runtime.stopped && !subscriber.closed) {
          const waiting = endRun();
          if (waiting !== undefined) await waiting;
        }
        if (runtime.stopped || subscriber.closed) break;
        if (start < chunk.byteLength) keep(chunk.subarray(start));
        offset += chunk.byteLength;
      }
      if (!exhausted) {
        // Stopped early: close the input (a Readable is destroyed), without waiting for it.
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
        return;
      }
      if (lineBytes > 0 && !runtime.stopped && !subscriber.closed) {
        await runtime.room();
        arrivalMs = scheduler.now();
        if (!runtime.stopped && !subscriber.closed) await endLine(Uint8Array.of(NEWLINE), offset);
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

/** The pieces joined into one array of `length` bytes. */
function concat(pieces: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece.byteLength > length - at ? piece.subarray(0, length - at) : piece, at);
    at += piece.byteLength;
  }
  return out;
}
