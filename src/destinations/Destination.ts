import type { ObservableInput, SchedulerLike } from 'rxjs';

/** What a destination knows about one delivery attempt. */
export interface DeliveryAttempt {
  /** 1 for the first attempt of a batch, 2 for its first retry, … */
  readonly attempt: number;
  /** The same on every attempt of one batch (and unique across batches): use it for idempotency keys and request ids. */
  readonly batchId: string;
  /** The pipeline's scheduler: read the time with `scheduler.now()`. */
  readonly scheduler: SchedulerLike;
  /** Aborted when the pipeline is unsubscribed: pass it to the network call. */
  readonly signal: AbortSignal;
}

/** One item of a batch that failed while the others succeeded. */
export interface ItemFailure {
  /** Index into the batch that was passed to this attempt. */
  readonly index: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** `false` when retrying this item cannot help. Default `true`. */
  readonly retriable?: boolean;
}

/** A destination's acknowledgement of an attempt. */
export interface DeliveryAck {
  /** Where the data went: an `s3://` URL, a file path, a URL, an index. */
  readonly location?: string;
  /** Items that failed while the rest were acknowledged: only these are retried. */
  readonly failed?: readonly ItemFailure[];
}

/**
 * Where batches go. One small interface for every destination, built-in or your own: a destination makes
 * one delivery attempt of one batch; `deliverTo` does the retries, backoff, partial retries, error output,
 * settlement, concurrency and metrics around it.
 *
 * `deliver` resolves (or emits and completes) with an acknowledgement, optionally naming the items that
 * failed; it throws or rejects to fail the whole attempt: with a {@link DeliveryError} whose `permanent` is
 * `true` to stop retrying, otherwise the attempt is retried. It may return a Promise, an Observable (which
 * makes it testable in virtual time), or any `ObservableInput`.
 *
 * ## Example
 * ```ts
 * import type { Destination, FirehoseRecord } from 'rx-firehose';
 *
 * const webhook: Destination<FirehoseRecord> = {
 *   name: 'Webhook',
 *   async deliver(batch, { signal }) {
 *     const body = Buffer.concat(batch.map((r) => r.data));
 *     const res = await fetch('http://127.0.0.1:8080/ingest', { method: 'POST', body, signal });
 *     if (!res.ok) throw new DeliveryError(`Webhook.${res.status}`, await res.text(), { permanent: res.status === 413 });
 *     return { location: res.headers.get('location') ?? undefined };
 *   },
 * };
 * ```
 */
export interface Destination<T> {
  /** Used in metric names (`DeliveryTo<name>.Records`) and results, e.g. `S3`, `Directory`. */
  readonly name: string;
  /** The error output type for what finally fails here, e.g. `http-endpoint-failed`. Default `<name>-failed`. */
  readonly errorOutputType?: string;
  /** How long to keep retrying a batch, counted from its first failure. Default 300 s unless `deliverTo` says otherwise. */
  readonly retryDurationMs?: number;
  deliver(batch: readonly T[], attempt: DeliveryAttempt): ObservableInput<DeliveryAck | void>;
  /** Destination-specific fields added to each failure record (e.g. an OpenSearch index name). */
  failureFields?(record: T): Readonly<Record<string, unknown>>;
}

/**
 * Firehose's failure record: one JSON line per record that finally failed, written to the error output.
 * Destination-specific fields follow `rawData`.
 */
export interface FailureRecord {
  readonly attemptsMade: number;
  readonly arrivalTimestamp: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attemptEndingTimestamp: number;
  /** The record's original bytes, base64. */
  readonly rawData: string;
  readonly [field: string]: unknown;
}

/**
 * Where failure records go: usually S3 (or a directory) under `<prefix><errorOutputType>/…`. S3 and
 * directory destinations are error outputs too.
 */
export interface ErrorOutput {
  readonly name: string;
  /** How long to keep retrying a write of failure records. Default 24 h. */
  readonly retryDurationMs?: number;
  writeFailures(failures: readonly FailureRecord[], errorOutputType: string, attempt: DeliveryAttempt): ObservableInput<DeliveryAck | void>;
}
