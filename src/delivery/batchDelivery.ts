import { randomBytes } from 'node:crypto';
import { checkErrorOutput } from './checkErrorOutput.js';
import { defer, throwError, type Observable, type SchedulerLike } from 'rxjs';
import type { Destination, ErrorOutput } from '../destinations/Destination.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import type { MetricSink } from '../metrics/MetricSink.js';
import { checkFunction } from '../options/checkFunction.js';
import { checkNumber } from '../options/checkNumber.js';
import { checkObject } from '../options/checkObject.js';
import { checkScheduler } from '../options/checkScheduler.js';
import { arrivalTimeOf } from '../records/arrivalTimeOf.js';
import { byteSizeOf } from '../records/byteSizeOf.js';
import { FIREHOSE_BACKOFF, type Backoff } from '../retry/backoffDelayMs.js';
import { checkBackoff } from '../retry/checkBackoff.js';
import type { Settlement } from '../settlement/Settlement.js';
import { LostSettlementError } from '../settlement/LostSettlementError.js';
import { hasSettlement } from '../settlement/sideTable.js';
import { isOutstandingCopy } from '../settlement/watchSettlement.js';
import { deliverBatch, DEFAULT_RETRY_DURATION_MS, type BatchDelivery } from './deliverBatch.js';
import type { DeliveryResult } from './DeliveryResult.js';
import { notedBatchBytes } from './batchBytes.js';
import { Slots } from './Slots.js';

export { DEFAULT_RETRY_DURATION_MS, DEFAULT_ACK_TIMEOUT_MS } from './deliverBatch.js';
/** 24 h, the longest retry duration accepted (Firehose's S3 retry duration). */
export const MAX_RETRY_DURATION_MS = 86_400_000;
/** Pending acknowledgements per `deliverTo` unless told otherwise. */
export const DEFAULT_MAX_PENDING_ACKS = 100;

/** Options shared by `deliverTo` and `teeBackup`. */
export interface DeliveryOptions<T> {
  /** Where records that finally failed go, as Firehose failure records. Without one, the stream errors with `UndeliverableRecordsError`. */
  readonly errorOutput?: ErrorOutput | undefined;
  /** Retries start only within this time after a batch's first failure. Default: the destination's, else 300 s. 0 disables retries. */
  readonly retryDurationMs?: number | undefined;
  /** Batches being built and sent (or retried) at once. Default: the destination's `concurrency`, else 1. */
  readonly concurrency?: number | undefined;
  /** Accepted batches waiting for their acknowledgement (Splunk's indexer acknowledgement) at once, besides `concurrency`. Default 100. */
  readonly maxPendingAcks?: number | undefined;
  /** How long an accepted batch waits for its acknowledgement before it is sent again. Default: the destination's, else 180 s. */
  readonly ackTimeoutMs?: number | undefined;
  /** Backoff between retries. Default Firehose's: 1 s, ×2, capped at 120 s, ±15% jitter. */
  readonly backoff?: Partial<Backoff> | undefined;
  /**
   * Size of a record in bytes, for results and metrics. Default `byteSizeOf`. A batch from `bufferBySizeOrTime`
   * that counted with the same function is not measured again (its total is carried with the batch).
   */
  readonly sizeOf?: ((record: T) => number) | undefined;
  /** Where backoff waits and the clock is read. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /** Random numbers in [0, 1) for jitter. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /** Receives `<prefix>.Records|Bytes|Success|DataFreshness` per batch. */
  readonly metrics?: MetricSink | undefined;
  /**
   * Told each time sending a request failed (the destination's `send` threw or errored; not a partial outcome,
   * not a send cancelled by unsubscribing), before the engine decides whether to retry: with the destination
   * stage's name, the attempt (1, 2, …) and the error. A destination that fails for hours (S3 is retried for up to
   * 24 h) can so be reported while it lasts. Default: nobody.
   */
  readonly onAttemptFailed?: ((failure: AttemptFailure) => void) | undefined;
}

/** A failed send, as `onAttemptFailed` is told of it. */
export interface AttemptFailure {
  /** The destination stage's name (`S3`, `HttpEndpoint`, `Redshift`'s `COPY`, …). */
  readonly destination: string;
  readonly batchId: string;
  /** 1 for the first send of the request. */
  readonly attempt: number;
  readonly error: unknown;
}

/** A batch handed to the engine by `deliverTo` or `teeBackup`. */
export interface BatchInput<T> {
  readonly records: readonly T[];
  /**
   * The batch's total size, when the caller measured its records already (`teeBackup`'s buffer); otherwise the
   * total `bufferBySizeOrTime` noted for the batch (when it counted with the same `sizeOf`), else measured here.
   */
  readonly bytes?: number | undefined;
  /** Each record's settlement. Default: the one attached to the record. */
  readonly settlementAt?: (index: number) => Settlement | undefined;
}

/** A destination with its options checked: delivers batches with ids, settles them, and reports metrics. */
export interface BatchDeliverer<T> {
  /** Batches subscribed at once: `concurrency` sending plus `maxPendingAcks` awaiting acknowledgements. */
  readonly concurrency: number;
  /** Delivers one batch; cold, one result. */
  readonly deliver: (batch: BatchInput<T>) => Observable<DeliveryResult<T>>;
}

/**
 * Checks the destination and every option's type and range (throwing {@link InvalidOptionError} at
 * construction) and returns a factory, called once per subscription, of batch deliveries with unique
 * batch ids, shared send and acknowledgement slots, and metrics named `<metricPrefix>.*`.
 */
export function batchDelivery<T>(
  component: string,
  destination: Destination,
  options: DeliveryOptions<T>,
  metricPrefix: string,
): () => BatchDeliverer<T> {
  checkDestination(component, 'destination', destination);
  checkObject(component, 'options', options, {});
  const errorOutput = checkErrorOutput(component, 'errorOutput', options.errorOutput);
  const retryDurationMs =
    options.retryDurationMs === undefined
      ? undefined
      : checkNumber(component, 'retryDurationMs', options.retryDurationMs, DEFAULT_RETRY_DURATION_MS, {
          min: 0,
          max: MAX_RETRY_DURATION_MS,
          unit: 'ms',
        });
  const ackTimeoutMs =
    options.ackTimeoutMs === undefined
      ? undefined
      : checkNumber(component, 'ackTimeoutMs', options.ackTimeoutMs, 0, { min: 1, max: MAX_RETRY_DURATION_MS, unit: 'ms' });
  const concurrency = checkNumber(component, 'concurrency', options.concurrency, destination.concurrency ?? 1, {
    min: 1,
    max: 1024,
    integer: true,
  });
  const maxPendingAcks = checkNumber(component, 'maxPendingAcks', options.maxPendingAcks, DEFAULT_MAX_PENDING_ACKS, {
    min: 1,
    max: 1_000_000,
    integer: true,
  });
  const backoff = checkBackoff(component, options.backoff, FIREHOSE_BACKOFF);
  const sizeOf = checkFunction<(record: T) => number>(component, 'sizeOf', options.sizeOf) ?? (byteSizeOf as (record: T) => number);
  const random = checkFunction<() => number>(component, 'random', options.random) ?? Math.random;
  const metrics = checkFunction<MetricSink>(component, 'metrics', options.metrics);
  const onAttemptFailed = checkFunction<(failure: AttemptFailure) => void>(component, 'onAttemptFailed', options.onAttemptFailed);
  const scheduler = checkScheduler(component, options.scheduler);

  // A record that cannot be measured counts as 0 bytes here; the destination refuses it, and it ends in the
  // error output like any other failed record.
  const sizeOfRecord = (record: T): number => {
    try {
      return sizeOf(record);
    } catch {
      return 0;
    }
  };
  const measure = (records: readonly T[]): number => {
    let bytes = 0;
    for (let i = 0; i < records.length; i++) bytes += sizeOfRecord(records[i]!);
    return bytes;
  };

  const report = (result: DeliveryResult<T>, failedIndexes: ReadonlySet<number>): void => {
    if (metrics === undefined) return;
    let bytes = result.bytes;
    // Only failed records are measured again (a batch delivered whole is not measured per record at all).
    for (const i of failedIndexes) bytes -= sizeOfRecord(result.records[i]!);
    let oldest = Number.POSITIVE_INFINITY;
    for (const record of result.records) oldest = Math.min(oldest, arrivalTimeOf(record, result.startedAtMs));
    metrics(`${metricPrefix}.Records`, result.records.length - failedIndexes.size, 'Count');
    metrics(`${metricPrefix}.Bytes`, bytes, 'Bytes');
    metrics(`${metricPrefix}.Success`, result.status === 'delivered' ? 1 : 0, 'Count');
    if (oldest !== Number.POSITIVE_INFINITY) metrics(`${metricPrefix}.DataFreshness`, (scheduler.now() - oldest) / 1000, 'Seconds');
  };

  return () => {
    const prefix = randomBytes(8).toString('hex');
    let sequence = 0;
    const how: BatchDelivery = {
      destination,
      errorOutput,
      retryDurationMs,
      ackTimeoutMs,
      backoff,
      random,
      scheduler,
      sendSlots: new Slots(concurrency),
      ackSlots: new Slots(maxPendingAcks),
      onAttemptFailed,
    };
    return {
      concurrency: concurrency + maxPendingAcks,
      deliver: ({ records, bytes, settlementAt }) =>
        defer(() => {
          const lost = lostSettlements(records, settlementAt);
          if (lost.length > 0) {
            metrics?.(`${metricPrefix}.LostSettlements`, lost.length, 'Count');
            return throwError(() => new LostSettlementError(lost, component));
          }
          return deliverBatch(
            {
              records,
              bytes: bytes ?? notedBatchBytes(records, sizeOf) ?? measure(records),
              batchId: `${prefix}-${sequence++}`,
              settlementAt,
              report,
            },
            how,
          );
        }),
    };
  };
}

/** Ids of the records that arrived without their settlement while their source still waits for it. */
function lostSettlements(records: readonly unknown[], settlementAt: ((index: number) => Settlement | undefined) | undefined): string[] {
  const lost: string[] = [];
  for (let i = 0; i < records.length; i++) {
    const held = settlementAt === undefined ? hasSettlement(records[i]) : settlementAt(i) !== undefined;
    if (!held && isOutstandingCopy(records[i])) lost.push((records[i] as { recordId: string }).recordId);
  }
  return lost;
}

/** Throws {@link InvalidOptionError} unless `value` is a {@link Destination} (and so are its later stages). */
export function checkDestination(component: string, option: string, value: unknown): asserts value is Destination {
  const d = value as Partial<Destination> | null;
  if (typeof d !== 'object' || d === null || typeof d.build !== 'function' || typeof d.send !== 'function') {
    throw new InvalidOptionError(component, option, value, 'a Destination (an object with name, build and send)');
  }
  if (typeof d.name !== 'string' || d.name === '') throw new InvalidOptionError(component, `${option}.name`, d.name, 'a non-empty string');
  checkErrorOutput(component, `${option}.errorOutput`, d.errorOutput);
  if (d.concurrency !== undefined) checkNumber(component, `${option}.concurrency`, d.concurrency, 1, { min: 1, max: 1024, integer: true });
  if (d.nextStage !== undefined) checkDestination(component, `${option}.nextStage`, d.nextStage);
}
