import { Buffer } from 'node:buffer';
import { Observable, type Subscriber } from 'rxjs';
import { emitFillingBudget } from '../../batching/budgetFull.js';
import type { FirehoseRecord } from '../../records/FirehoseRecord.js';
import type { SettlementStallError } from '../../settlement/SettlementStallError.js';
import { SlotRecord } from '../../settlement/SlotRecord.js';
import { InFlightBudget } from '../InFlightBudget.js';
import { FirehoseApiError } from './FirehoseApiError.js';
import { MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_RECORD_BYTES, SLOW_DOWN } from './limits.js';
import { checkDirectPutOptions, type DirectPutConfig, type DirectPutOptions } from './options.js';
import { RecordIdSequence } from './RecordIdSequence.js';
import { WriteAheadLog, type ReplayedEntry } from './WriteAheadLog.js';

/** How often, at most, a stream warns that its log cannot write: 1 min. */
const LOG_WARNING_INTERVAL_MS = 60_000;

/** One record to put, as in Firehose's API (`Record`): bytes, or a string sent as UTF-8. */
export interface PutRecordEntry {
  readonly Data: Uint8Array | string;
}

/** Firehose's `PutRecord` answer. */
export interface PutRecordAnswer {
  readonly RecordId: string;
  readonly Encrypted: boolean;
}

/** One entry of a `PutRecordBatch` answer: a record id, or an error code and message. */
export type PutRecordBatchAnswerEntry = { readonly RecordId: string } | { readonly ErrorCode: string; readonly ErrorMessage: string };

/** Firehose's `PutRecordBatch` answer: one entry per record, in order, and how many failed. */
export interface PutRecordBatchAnswer {
  readonly FailedPutCount: number;
  readonly Encrypted: boolean;
  readonly RequestResponses: PutRecordBatchAnswerEntry[];
}

/** A direct-PUT source: Firehose's put API in process, and the records it accepted as an Observable. */
export interface DirectPut {
  /**
   * The accepted records, each carrying a settlement: first those replayed from the log, then each
   * record as soon as it is durable. Subscribe once; it completes after {@link DirectPut.close}.
   */
  readonly records: Observable<FirehoseRecord>;
  /** Firehose's `PutRecord`: resolves once the record is on disk; rejects with a {@link FirehoseApiError}. */
  putRecord(record: PutRecordEntry): Promise<PutRecordAnswer>;
  /** Firehose's `PutRecordBatch`: resolves once the accepted records are on disk, with an answer per record. */
  putRecordBatch(records: readonly PutRecordEntry[]): Promise<PutRecordBatchAnswer>;
  /**
   * Stops accepting (later puts get `ServiceUnavailableException`), waits for the puts under way, then
   * completes `records`, so the pipeline drains. Resolves when `records` completed; call
   * {@link DirectPut.closeLog} after the pipeline drained.
   */
  close(): Promise<void>;
  /** Closes the log: deletes its segments whose records all settled (all of them after a full drain). */
  closeLog(): Promise<void>;
  /** Bytes accepted and not yet settled, and their peak. */
  readonly budget: InFlightBudget;
  /** Bytes in the write-ahead log. */
  readonly logBytes: number;
  /** How many group commits the log ran (each one write and one sync for every put that arrived meanwhile). */
  readonly logSyncs: number;
  /** How many records were read back from the log at open (those its checkpoint did not show as settled). */
  readonly replayedRecords: number;
  /** Their bytes: at most `maxInFlightBytes` plus one record, whatever the crash. */
  readonly replayedBytes: number;
  /**
   * Resolves once every settlement so far is recorded in the log's checkpoint on disk (and its bytes released
   * from {@link DirectPut.budget}): a crash after it does not deliver those records again.
   */
  checkpoint(): Promise<void>;
  /** Whether the source accepts puts (false once closing). */
  readonly accepting: boolean;
}

/**
 * Opens a durable direct-PUT source: Firehose's `PutRecord`/`PutRecordBatch` with Firehose's limits and
 * answers, a write-ahead log on disk, and the accepted records as an Observable for a pipeline.
 *
 * <span class="informal">An answer of success means the record is on disk; it reaches the destination at least once.</span>
 *
 * ```
 * putRecordBatch ──▶ limits ──▶ budget ──▶ log append (group commit, fdatasync) ──▶ answer
 *                    (400)     (Slow down.)                                   └──▶ records ──▶ pipeline ──▶ settle ──▶ segment deleted
 * ```
 *
 * Limits, as Firehose: a record is at most 1,024,000 bytes, a batch 1–500 records and at most 4 MiB
 * (`InvalidArgumentException` otherwise). While the bytes accepted and not yet settled reach
 * `maxInFlightBytes`, or the log holds `maxLogBytes`, a record is refused with `ServiceUnavailableException`
 * "Slow down." (in a batch, per record: the others are accepted). Accepted records are appended to the log in
 * `logDir` and answered once written and synced; concurrent puts share one sync (group commit). Their
 * settlements are recorded in the log's checkpoint (in the background, a few per second at most one write
 * behind), which then releases their bytes from the budget; a segment is deleted once all its records settled.
 * At open, every record still in the log that the checkpoint does not show as settled is read back and emitted
 * first, with its record id and arrival time: delivery is at least once, and a crash delivers again at most
 * the records whose bytes were in the budget then (`maxInFlightBytes`, plus one record).
 *
 * ## Example
 * ```ts
 * import { openDirectPut, directoryDestination } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const source = await openDirectPut({ logDir: './firehose-data/wal/clicks', streamName: 'clicks' });
 * source.records.pipe(bufferBySizeOrTime(), deliverTo(directoryDestination({ path: './out' }))).subscribe();
 * const { RecordId } = await source.putRecord({ Data: '{"click":1}\n' });
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option.
 */
export async function openDirectPut(options: DirectPutOptions): Promise<DirectPut> {
  const config = checkDirectPutOptions(options);
  // The watchdog runs while puts are refused for a full budget or a full log (see DirectPutSource.#throttled).
  let source: DirectPutSource | undefined;
  const budget = new InFlightBudget(
    config.maxInFlightBytes,
    Number.POSITIVE_INFINITY,
    config.watchdogFor((error) => source?.stalled(error)),
  );
  const { log, replayed } = await WriteAheadLog.open(config.logDir, {
    segmentBytes: config.segmentBytes,
    // A record's bytes stay in the budget until its settlement is in a checkpoint on disk: what a crash can
    // replay is therefore never more than the budget.
    onCheckpointed: (bytes) => budget.release(bytes),
    onRecordSettled: () => source?.recordSettled(),
  });
  source = new DirectPutSource(config, budget, log, replayed);
  return source;
}

class DirectPutSource implements DirectPut {
  readonly budget: InFlightBudget;
  readonly records: Observable<FirehoseRecord>;
  readonly replayedRecords: number;
  readonly replayedBytes: number;
  #subscriber: Subscriber<FirehoseRecord> | undefined;
  #subscribed = false;
  /** Durable records waiting for a subscriber. */
  #queue: FirehoseRecord[] = [];
  #accepting = true;
  #underWay = new Set<Promise<unknown>>();
  #completed = false;
  /** Records emitted (or queued) and not settled yet. */
  #unsettled = 0;
  /** Whether a refused put arms the stall watchdog: until the records complete, error or are unsubscribed. */
  #watching = true;
  #failure: SettlementStallError | undefined;
  readonly #ids = new RecordIdSequence();
  /** Records refused because the log could not write them, since the last warning about it. */
  #logRefused = 0;
  /** When the log last warned that it could not write. */
  #logWarnedAt: number | undefined;
  /** Whether it warned so, and no append was written since. */
  #logFailing = false;

  constructor(
    private readonly config: DirectPutConfig,
    budget: InFlightBudget,
    private readonly log: WriteAheadLog,
    replayed: readonly ReplayedEntry[],
  ) {
    this.budget = budget;
    this.replayedRecords = replayed.length;
    let replayedBytes = 0;
    for (const { entry, slot } of replayed) {
      replayedBytes += entry.data.byteLength;
      this.budget.take(entry.data.byteLength);
      this.#unsettled++;
      this.#queue.push(new SlotRecord(entry.recordId, entry.data, entry.approximateArrivalTimestamp, log, slot));
    }
    this.replayedBytes = replayedBytes;
    this.records = new Observable<FirehoseRecord>((subscriber) => {
      if (this.#subscribed) {
        subscriber.error(new Error(`direct PUT stream ${config.streamName}: its records can be subscribed to only once`));
        return;
      }
      this.#subscribed = true;
      if (this.#failure !== undefined) {
        subscriber.error(this.#failure);
        return;
      }
      this.#subscriber = subscriber;
      this.#drainQueue();
      return () => {
        this.#subscriber = undefined;
        this.#stopWatching();
      };
    });
  }

  get logBytes(): number {
    return this.log.bytes;
  }

  get logSyncs(): number {
    return this.log.syncs;
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  async putRecord(record: PutRecordEntry): Promise<PutRecordAnswer> {
    const data = this.#check([record])[0]!;
    this.#refuseIfClosed();
    if (this.#throttled()) {
      this.#metrics(1);
      throw new FirehoseApiError('ServiceUnavailableException', SLOW_DOWN);
    }
    const [id] = await this.#accept([data]);
    return { RecordId: id!, Encrypted: false };
  }

  async putRecordBatch(records: readonly PutRecordEntry[]): Promise<PutRecordBatchAnswer> {
    if (!Array.isArray(records) || records.length < 1 || records.length > MAX_BATCH_RECORDS) {
      throw new FirehoseApiError(
        'InvalidArgumentException',
        `Records must hold 1 to ${MAX_BATCH_RECORDS} records; got ${Array.isArray(records) ? records.length : 'none'}`,
      );
    }
    const datas = this.#check(records);
    this.#refuseIfClosed();
    // The records accepted are the first ones: once one is refused, so are the rest (nothing frees room meanwhile).
    let accepted = 0;
    while (accepted < datas.length && !this.#throttled()) this.budget.take(datas[accepted++]!.byteLength);
    const RequestResponses = new Array<PutRecordBatchAnswerEntry>(datas.length);
    let failed = datas.length - accepted;
    if (accepted > 0) {
      try {
        const ids = await this.#append(accepted === datas.length ? datas : datas.slice(0, accepted));
        for (let i = 0; i < accepted; i++) RequestResponses[i] = { RecordId: ids[i]! };
      } catch (err) {
        const ErrorMessage = `the record could not be written to the log: ${(err as Error).message}`;
        for (let i = 0; i < accepted; i++) RequestResponses[i] = { ErrorCode: 'InternalFailure', ErrorMessage };
        failed = datas.length;
      }
    }
    for (let i = accepted; i < datas.length; i++)
      RequestResponses[i] = { ErrorCode: 'ServiceUnavailableException', ErrorMessage: SLOW_DOWN };
    this.#metrics(datas.length - accepted);
    return { FailedPutCount: failed, Encrypted: false, RequestResponses };
  }

  async close(): Promise<void> {
    this.#accepting = false;
    this.#stopWatching();
    while (this.#underWay.size > 0) await Promise.allSettled([...this.#underWay]);
    this.#completed = true;
    this.#drainQueue();
  }

  closeLog(): Promise<void> {
    return this.log.close();
  }

  checkpoint(): Promise<void> {
    return this.log.checkpoint();
  }

  /**
   * The budget stayed full and nothing settled for `stallTimeoutMs` with `onStall: 'error'`: the records error
   * (now, or at subscription) and later puts are refused; what was accepted stays in the log for the next open.
   */
  stalled(error: SettlementStallError): void {
    this.#accepting = false;
    this.#stopWatching();
    this.#failure = error;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    subscriber?.error(error);
  }

  /** One record's settlement reached the log. Everything settled: the budget is held only until the log's checkpoint releases it, which is no stall. */
  recordSettled(): void {
    if (--this.#unsettled === 0) this.budget.wake();
  }

  /** No more stall reports: the watchdog's timer is cancelled and refused puts no longer arm it. */
  #stopWatching(): void {
    this.#watching = false;
    this.budget.wake();
  }

  /** Takes the budget for one PutRecord's data, appends it and answers its id; throws Firehose's error when the log fails. */
  async #accept(datas: Uint8Array[]): Promise<string[]> {
    for (const d of datas) this.budget.take(d.byteLength);
    try {
      const ids = await this.#append(datas);
      this.#metrics(0);
      return ids;
    } catch (err) {
      throw new FirehoseApiError('ServiceUnavailableException', `the record could not be written to the log: ${(err as Error).message}`);
    }
  }

  /**
   * Appends records whose bytes are already taken from the budget; emits them once durable, each a record
   * whose settlement is its slot in the log (no settlement object per record); releases the budget if the
   * append fails.
   */
  async #append(datas: readonly Uint8Array[]): Promise<string[]> {
    const now = this.config.scheduler.now();
    const appended = this.log.append(this.#ids, datas, now);
    this.#underWay.add(appended);
    try {
      const { firstSlot, recordIds } = await appended;
      if (this.#logFailing) this.#logWritesAgain();
      this.#unsettled += datas.length;
      const last = datas.length - 1;
      for (let i = 0; i <= last; i++) this.#emit(new SlotRecord(recordIds[i]!, datas[i]!, now, this.log, firstSlot + i), i === last);
      return recordIds;
    } catch (err) {
      for (const d of datas) this.budget.release(d.byteLength);
      this.#logFailed(err, datas.length);
      throw err;
    } finally {
      this.#underWay.delete(appended);
    }
  }

  /**
   * The log could not write an append (a full disk, an I/O error), so its records are refused: says so as a
   * process warning, at most once every {@link LOG_WARNING_INTERVAL_MS} (a disk at the edge of full refuses
   * and takes puts in turn), and counts every refused record in `openDirectPut.LogRefusedRecords`.
   */
  #logFailed(err: unknown, records: number): void {
    this.config.metrics?.('openDirectPut.LogRefusedRecords', records, 'Count');
    const now = this.config.scheduler.now();
    this.#logRefused += records;
    if (this.#logWarnedAt !== undefined && now - this.#logWarnedAt < LOG_WARNING_INTERVAL_MS) return;
    const before = this.#logRefused - records;
    this.#logWarnedAt = now;
    this.#logFailing = true;
    this.#logRefused = records;
    process.emitWarning(
      `delivery stream ${this.config.streamName}: its write-ahead log in ${this.config.logDir} could not write: ${(err as Error)?.message ?? String(err)}. ` +
        'The records of every put it cannot write are refused (PutRecordBatch: InternalFailure per record; PutRecord: ServiceUnavailableException) and never acknowledged; each later put tries again, in a new log segment' +
        (before > 0 ? `; ${before} more records were refused since the last warning` : '') +
        ' (said at most once a minute; openDirectPut.LogRefusedRecords counts every one).',
      { type: 'WriteAheadLogWarning', code: 'RX_FIREHOSE_LOG_WRITE_FAILED' },
    );
  }

  /** An append was written after a warning that the log could not write: says so, with how many records were refused since. */
  #logWritesAgain(): void {
    process.emitWarning(
      `delivery stream ${this.config.streamName}: its write-ahead log in ${this.config.logDir} writes again; ${this.#logRefused} records were refused since it said it could not.`,
      { type: 'WriteAheadLogWarning', code: 'RX_FIREHOSE_LOG_WRITES_AGAIN' },
    );
    this.#logFailing = false;
    this.#logRefused = 0;
  }

  /** Emits a durable record; `last`: the last of its append. */
  #emit(record: FirehoseRecord, last: boolean): void {
    if (this.#subscriber !== undefined && this.#queue.length === 0) this.#next(this.#subscriber, record, last);
    else {
      this.#queue.push(record);
      this.#drainQueue();
    }
  }

  #drainQueue(): void {
    const subscriber = this.#subscriber;
    if (subscriber === undefined) return;
    // Take each record off the queue before emitting it: a subscriber that puts re-entrantly must not see it twice.
    while (this.#queue.length > 0 && !subscriber.closed) this.#next(subscriber, this.#queue.shift()!, this.#queue.length === 0);
    if (this.#completed && this.#queue.length === 0) subscriber.complete();
  }

  /**
   * Emits a record. The last one emitted while puts are refused (the budget or the log is full) says so to
   * the buffers it reaches synchronously (`emitFillingBudget`): nothing more comes until records settle, so a
   * batch that holds most of what is in flight goes out now instead of at its interval. Without it, a buffer
   * larger than the budget (`SizeInMBs` 128 with the default 64 MiB) would hold the budget's worth of records,
   * and producers would be answered "Slow down." until `IntervalInSeconds` passed.
   */
  #next(subscriber: Subscriber<FirehoseRecord>, record: FirehoseRecord, last: boolean): void {
    if (last && this.#full()) emitFillingBudget(this.budget, () => subscriber.next(record));
    else subscriber.next(record);
  }

  /** Whether puts are refused now: the budget or the log is full. */
  #full(): boolean {
    return this.budget.full || this.log.bytes >= this.config.maxLogBytes;
  }

  /** Whether a record must be refused now (the budget or the log is full); arms the stall watchdog if so. */
  #throttled(): boolean {
    if (!this.#full()) return false;
    // A refused put is this source's wait, on its budget or on its log (whose segments go once their records
    // settled): the stall watchdog runs until a settlement frees room.
    if (this.#watching && this.#unsettled > 0) this.budget.refused();
    return true;
  }

  #refuseIfClosed(): void {
    if (!this.#accepting)
      throw new FirehoseApiError(
        'ServiceUnavailableException',
        `Delivery stream ${this.config.streamName} is shutting down and accepts no more records.`,
      );
  }

  /** Validates Firehose's limits on the records of one request and returns their bytes. */
  #check(records: readonly PutRecordEntry[]): Uint8Array[] {
    let total = 0;
    const out = records.map((record, i) => {
      const raw = (record as { Data?: unknown } | null | undefined)?.Data;
      const data = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw instanceof Uint8Array ? raw : undefined;
      if (data === undefined) throw new FirehoseApiError('InvalidArgumentException', `Record ${i}: Data must be bytes or a string`);
      if (data.byteLength > MAX_RECORD_BYTES) {
        throw new FirehoseApiError(
          'InvalidArgumentException',
          `Record ${i}: Data has ${data.byteLength} bytes; a record may hold at most ${MAX_RECORD_BYTES} bytes (1,000 KiB)`,
        );
      }
      total += data.byteLength;
      return data;
    });
    if (total > MAX_BATCH_BYTES)
      throw new FirehoseApiError(
        'InvalidArgumentException',
        `Records hold ${total} bytes; a request may hold at most ${MAX_BATCH_BYTES} bytes (4 MiB)`,
      );
    return out;
  }

  /** Per request: `IncomingPutRequests`, and `ThrottledRecords` (a pipeline counts `IncomingRecords`/`IncomingBytes` as records reach it). */
  #metrics(throttled: number): void {
    const m = this.config.metrics;
    if (m === undefined) return;
    m('IncomingPutRequests', 1, 'Count');
    m('ThrottledRecords', throttled, 'Count');
  }
}
