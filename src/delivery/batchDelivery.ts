import { randomBytes } from 'node:crypto';
import { asyncScheduler, defer, Observable, tap, type SchedulerLike } from 'rxjs';
import type { LegacyDestination, ErrorOutput } from '../destinations/Destination.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import type { MetricSink } from '../metrics/MetricSink.js';
import { checkNumber } from '../options/checkNumber.js';
import { arrivalTimeOf } from '../records/arrivalTimeOf.js';
import { byteSizeOf } from '../records/byteSizeOf.js';
import { FIREHOSE_BACKOFF, type Backoff } from '../retry/backoffDelayMs.js';
import { checkBackoff } from '../retry/checkBackoff.js';
import { deliverBatch, type BatchDelivery } from './deliverBatch.js';
import type { DeliveryResult } from './DeliveryResult.js';

/** 300 s: how long a batch is retried unless the destination or the options say otherwise. */
export const DEFAULT_RETRY_DURATION_MS = 300_000;
/** 24 h, the longest retry duration accepted (Firehose's S3 retry duration). */
export const MAX_RETRY_DURATION_MS = 86_400_000;

/** Options shared by `deliverTo` and `teeBackup`. */
export interface DeliveryOptions<T> {
  /** Where records that finally failed go, as Firehose failure records. Without one, the stream errors with `UndeliverableRecordsError`. */
  readonly errorOutput?: ErrorOutput;
  /** Retries start only within this time after a batch's first failure. Default: the destination's, else 300 s. 0 disables retries. */
  readonly retryDurationMs?: number;
  /** Batches in flight at once. Default 1. */
  readonly concurrency?: number;
  /** Backoff between retries. Default Firehose's: 1 s, ×2, capped at 120 s, ±15% jitter. */
  readonly backoff?: Partial<Backoff>;
  /** Size of a record in bytes, for results and metrics. Default `byteSizeOf`. */
  readonly sizeOf?: (record: T) => number;
  /** Where backoff waits and the clock is read. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Random numbers in [0, 1) for jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Receives `<prefix>.Records|Bytes|Success|DataFreshness` per batch. */
  readonly metrics?: MetricSink;
}

/** A destination with its options checked: delivers batches with ids, and reports metrics. */
export interface BatchDeliverer<T> {
  readonly concurrency: number;
  /** Delivers one batch; cold, one result. Call within one subscription (`defer`) so batch ids count from there. */
  readonly deliver: (batch: readonly T[]) => Observable<DeliveryResult<T>>;
}

/**
 * Checks the options (throwing {@link InvalidOptionError} at construction) and returns a factory, called
 * once per subscription, of batch deliveries with unique batch ids and metrics named `<metricPrefix>.*`.
 */
export function batchDelivery<T>(
  component: string,
  destination: LegacyDestination<T>,
  options: DeliveryOptions<T>,
  metricPrefix: string,
): () => BatchDeliverer<T> {
  if (destination === null || typeof destination !== 'object' || typeof destination.deliver !== 'function') {
    throw new InvalidOptionError(component, 'destination', destination, 'a Destination (an object with name and deliver)');
  }
  if (typeof destination.name !== 'string' || destination.name === '') {
    throw new InvalidOptionError(component, 'destination.name', destination.name, 'a non-empty string');
  }
  const errorOutput = options.errorOutput;
  if (errorOutput !== undefined && (typeof errorOutput !== 'object' || typeof errorOutput?.writeFailures !== 'function')) {
    throw new InvalidOptionError(component, 'errorOutput', errorOutput, 'an ErrorOutput (an object with name and writeFailures)');
  }
  const retryDurationMs = checkNumber(component, 'retryDurationMs', options.retryDurationMs, destination.retryDurationMs ?? DEFAULT_RETRY_DURATION_MS, {
    min: 0,
    max: MAX_RETRY_DURATION_MS,
    unit: 'ms',
  });
  const concurrency = checkNumber(component, 'concurrency', options.concurrency, 1, { min: 1, max: 1024, integer: true });
  const backoff = checkBackoff(component, options.backoff, FIREHOSE_BACKOFF);
  const how: BatchDelivery<T> = {
    destination,
    errorOutput,
    retryDurationMs,
    backoff,
    random: options.random ?? Math.random,
    scheduler: options.scheduler ?? asyncScheduler,
    sizeOf: options.sizeOf ?? (byteSizeOf as (record: T) => number),
  };
  const metrics = options.metrics;

  const report = (result: DeliveryResult<T>): void => {
    if (metrics === undefined) return;
    const failed = new Set(result.failed);
    let records = 0;
    let bytes = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const record of result.records) {
      oldest = Math.min(oldest, arrivalTimeOf(record, result.startedAtMs));
      if (failed.has(record)) continue;
      records++;
      bytes += how.sizeOf(record);
    }
    metrics(`${metricPrefix}.Records`, records, 'Count');
    metrics(`${metricPrefix}.Bytes`, bytes, 'Bytes');
    metrics(`${metricPrefix}.Success`, result.status === 'delivered' ? 1 : 0, 'Count');
    if (oldest !== Number.POSITIVE_INFINITY) metrics(`${metricPrefix}.DataFreshness`, (how.scheduler.now() - oldest) / 1000, 'Seconds');
  };

  return () => {
    const prefix = randomBytes(8).toString('hex');
    let sequence = 0;
    return {
      concurrency,
      deliver: (batch) => defer(() => deliverBatch(batch, `${prefix}-${sequence++}`, how)).pipe(tap(report)),
    };
  };
}
