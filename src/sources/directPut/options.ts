import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import type { MetricSink } from '../../metrics/MetricSink.js';
import { checkNumber } from '../../options/checkNumber.js';
import { checkStallOptions } from '../../settlement/checkStallOptions.js';
import type { SettlementStallError } from '../../settlement/SettlementStallError.js';
import type { StallOptions, StallWatchdog } from '../../settlement/StallWatchdog.js';
import { MAX_BATCH_BYTES } from './limits.js';

export const NAME = 'openDirectPut';

/** The default budget of unsettled bytes of a direct-PUT stream: 64 MiB. */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 64 * 1_048_576;
/** The default size at which a log segment is sealed: 8 MiB. */
export const DEFAULT_SEGMENT_BYTES = 8 * 1_048_576;

export interface DirectPutOptions extends StallOptions {
  /** The directory of the stream's write-ahead log (created if needed; one directory per stream). */
  readonly logDir: string;
  /**
   * The budget: while the bytes accepted and not yet settled reach it, puts are answered
   * `ServiceUnavailableException` ("Slow down."). Default 64 MiB; at least 4 MiB (one full PutRecordBatch).
   */
  readonly maxInFlightBytes?: number | undefined;
  /**
   * The most bytes the log may hold on disk: past it puts are throttled too, even if few bytes are unsettled
   * (an old record still being retried keeps its whole segment). Default twice `maxInFlightBytes`, and at
   * least `maxInFlightBytes + segmentBytes`.
   */
  readonly maxLogBytes?: number | undefined;
  /** A log segment is sealed at this size, and deleted once every record in it settled. Default 8 MiB. */
  readonly segmentBytes?: number | undefined;
  /** The stream's name, in messages. Default `direct-put`. */
  readonly streamName?: string | undefined;
  /**
   * Receives `IncomingPutRequests` and `ThrottledRecords` per request (a pipeline counts `IncomingRecords` and
   * `IncomingBytes`), `openDirectPut.SettlementStalls` and `openDirectPut.StalledBytes` (see `stallTimeoutMs`),
   * and `openDirectPut.LogRefusedRecords` (records refused because the log could not write them: a full disk,
   * an I/O error).
   */
  readonly metrics?: MetricSink | undefined;
  /**
   * How long puts may be refused ("Slow down.") for a full budget or log while nothing settles before a stall is
   * reported, counted from the first refused put. Default 900,000 ms (15 min); 1 ms–24 h.
   */
  readonly stallTimeoutMs?: number | undefined;
  /** The clock for arrival times and the stall timeout. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
}

export interface DirectPutConfig {
  readonly logDir: string;
  readonly maxInFlightBytes: number;
  readonly maxLogBytes: number;
  readonly segmentBytes: number;
  readonly streamName: string;
  readonly metrics: MetricSink | undefined;
  readonly scheduler: SchedulerLike;
  /** Makes the watchdog of the budget (see `stallTimeoutMs`). */
  readonly watchdogFor: (onError: (error: SettlementStallError) => void) => StallWatchdog;
}

/** Checks the options and fills in the defaults; throws {@link InvalidOptionError} for an invalid one. */
export function checkDirectPutOptions(options: DirectPutOptions): DirectPutConfig {
  if (typeof options?.logDir !== 'string' || options.logDir === '')
    throw new InvalidOptionError(NAME, 'logDir', options?.logDir, 'a non-empty directory path');
  const maxInFlightBytes = checkNumber(NAME, 'maxInFlightBytes', options.maxInFlightBytes, DEFAULT_MAX_IN_FLIGHT_BYTES, {
    min: MAX_BATCH_BYTES,
    integer: true,
    unit: 'bytes',
  });
  const segmentBytes = checkNumber(NAME, 'segmentBytes', options.segmentBytes, Math.min(DEFAULT_SEGMENT_BYTES, maxInFlightBytes), {
    min: 1,
    integer: true,
    unit: 'bytes',
  });
  const maxLogBytes = checkNumber(
    NAME,
    'maxLogBytes',
    options.maxLogBytes,
    Math.max(2 * maxInFlightBytes, maxInFlightBytes + segmentBytes),
    {
      min: maxInFlightBytes,
      integer: true,
      unit: 'bytes',
    },
  );
  if (options.metrics !== undefined && typeof options.metrics !== 'function')
    throw new InvalidOptionError(NAME, 'metrics', options.metrics, 'a function (name, value, unit)');
  const streamName = options.streamName ?? 'direct-put';
  const scheduler = options.scheduler ?? asyncScheduler;
  const watchdogFor = checkStallOptions(NAME, options, scheduler);
  return {
    logDir: options.logDir,
    maxInFlightBytes,
    maxLogBytes,
    segmentBytes,
    streamName,
    metrics: options.metrics,
    scheduler,
    // Its messages name the delivery stream: a server runs several.
    watchdogFor: (onError) => watchdogFor(onError, `delivery stream ${streamName}`),
  };
}
