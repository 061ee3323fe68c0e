import type { ObservableInput, SchedulerLike } from 'rxjs';

/**
 * # The destination contract (delivery engine v2)
 *
 * A destination has two roles, and `deliverTo` (the engine) does everything around them:
 *
 * ```
 *            build (once per batch)               send (once per attempt)
 * batch ───▶ request builder ───▶ request ───▶ service ───▶ accepted(location, acknowledgement?)
 *                  │                 ▲            │        partial(retry: smaller request, failed items)
 *                  └ failed items    └────────────┘        throws DeliveryError: throttled | transient | permanent
 *                  (permanent)        retries resend the SAME request (same bytes, same ids)
 * ```
 *
 * - The **request builder** ({@link Destination.build}) turns one batch into one request, once: it encodes,
 *   compresses, splits by the destination's request limits and assigns request ids. Records it can never
 *   send (no bytes, too large, a partition key that does not resolve) come back as permanent
 *   {@link ItemFailure}s and are not part of the request.
 * - The **service** ({@link Destination.send}) sends a built request; it is the only code that talks to the
 *   network. It never rebuilds: a retry passes it the very same request object.
 *
 * The engine owns retries (backoff with jitter inside the stage's retry duration), concurrency, pending
 * acknowledgements, the error output, metrics and settlement. Destinations never settle records.
 *
 * Indexes are always into the batch the builder was given, so they survive partial retries unchanged.
 */

/** How a send failed, in the one vocabulary shared by every destination and the Kinesis source. */
export type DeliveryErrorKind = 'throttled' | 'transient' | 'permanent';

/**
 * What the engine needs to know of a built request. Destinations extend it with their payload (bytes,
 * object keys, …); the engine never looks inside.
 */
export interface DeliveryRequest {
  /**
   * The ids of the wire requests this request sends (one per HTTP request or object), stable across
   * retries: a receiver may deduplicate by them. A partial retry keeps the ids of what it resends.
   */
  readonly ids: readonly string[];
  /** Indexes into the batch of the records this request carries, ascending. */
  readonly items: readonly number[];
  /** Bytes put on the wire by one send (after encoding and compression). */
  readonly bytes: number;
}

/** What the request builder made of a batch: the request, and the records it can never send. */
export interface BuiltRequest<R extends DeliveryRequest = DeliveryRequest> {
  /** The request; absent when no record of the batch can be sent. */
  readonly request?: R | undefined;
  /** Records left out of the request, each failed for good (`retriable` is ignored: they are permanent). */
  readonly failed?: readonly ItemFailure[] | undefined;
}

/** What the request builder knows when it builds. */
export interface BuildContext {
  /** Unique per batch (and per stage): derive request ids and object names from it. */
  readonly batchId: string;
  /** The pipeline's scheduler: read the time with `scheduler.now()`. */
  readonly scheduler: SchedulerLike;
  /** Aborted when the pipeline is unsubscribed. */
  readonly signal: AbortSignal;
  /** For a later stage of a chain: where the previous stage put the batch (e.g. the manifest's `s3://` URL). */
  readonly previousLocation?: string | undefined;
}

/** What the service knows about one send. */
export interface DeliveryAttempt {
  /** 1 for the first send of a batch's request, 2 for its first retry, … */
  readonly attempt: number;
  /** The same on every attempt of one batch (and unique across batches). */
  readonly batchId: string;
  /** The pipeline's scheduler: time requests out on it, read the time with `scheduler.now()`. */
  readonly scheduler: SchedulerLike;
  /** Aborted when the pipeline is unsubscribed: pass it to the network call. */
  readonly signal: AbortSignal;
}

/** One record that failed while the others succeeded (or that the builder could not put in a request). */
export interface ItemFailure {
  /** Index into the batch the builder was given. */
  readonly index: number;
  /** Firehose's vocabulary, e.g. `HttpEndpoint.DestinationException`. */
  readonly errorCode: string;
  readonly errorMessage: string;
  /** `false` when retrying this item cannot help. Default `true`. */
  readonly retriable?: boolean | undefined;
}

/**
 * The request was taken. `location` says where the data went (an `s3://` URL, a file, a URL with request
 * ids). With an `acknowledgement` (Splunk's indexer acknowledgement), the data counts as delivered only
 * when it arrives: the send slot is free at once, the records settle when the acknowledgement emits or
 * completes, and when it errors (classified like a send error) or does not arrive within the ack timeout,
 * the same request is sent again.
 */
export interface Accepted {
  readonly status: 'accepted';
  readonly location?: string | undefined;
  readonly acknowledgement?: ObservableInput<unknown> | undefined;
}

/**
 * Some records were taken, others not. `failed` names every record that was not taken; `retry` is the
 * smaller request that resends the retriable ones, derived from the request that was sent so that request
 * ids survive (build it from the original, never from the records again). Without `retry` every failed
 * item is final.
 */
export interface PartiallyAccepted<R extends DeliveryRequest = DeliveryRequest> {
  readonly status: 'partial';
  readonly location?: string | undefined;
  readonly failed: readonly ItemFailure[];
  readonly retry?: R | undefined;
}

/** How a send ended, unless it threw (a {@link DeliveryError} with its `kind`; any other error is `transient`). */
export type SendOutcome<R extends DeliveryRequest = DeliveryRequest> = Accepted | PartiallyAccepted<R>;

/**
 * Where batches go: a request builder and a service (see the contract at the top of this file). One small
 * interface for every destination, built-in or your own. `R` is the destination's own request type; the
 * user's record type is not part of it (records arrive as `unknown`, read them with `dataOf`).
 *
 * ## Example
 * ```ts
 * import { Buffer } from 'node:buffer';
 * import { dataOf, DeliveryError, type Destination, type DeliveryRequest } from 'rx-firehose';
 *
 * interface WebhookRequest extends DeliveryRequest { readonly body: Uint8Array }
 *
 * const webhook: Destination<WebhookRequest> = {
 *   name: 'Webhook',
 *   build(batch, { batchId }) {
 *     const body = Buffer.concat(batch.map((record) => dataOf(record)));
 *     return { request: { ids: [batchId], items: batch.map((_r, i) => i), bytes: body.byteLength, body } };
 *   },
 *   async send(request, { signal }) {
 *     const res = await fetch('http://127.0.0.1:8080/ingest', { method: 'POST', body: request.body, headers: { 'Idempotency-Key': request.ids[0]! }, signal });
 *     if (res.status === 429) throw new DeliveryError('Webhook.Throttled', 'slow down', { kind: 'throttled' });
 *     if (!res.ok) throw new DeliveryError(`Webhook.${res.status}`, await res.text(), { kind: res.status === 413 ? 'permanent' : 'transient' });
 *     return { status: 'accepted', location: res.headers.get('location') ?? undefined };
 *   },
 * };
 * ```
 */
export interface Destination<R extends DeliveryRequest = DeliveryRequest> {
  /** Used in metric names (`DeliveryTo<name>.Records`) and results, e.g. `S3`, `Directory`. */
  readonly name: string;
  /** The error output type for what finally fails here, e.g. `http-endpoint-failed`. Default `<name>-failed`. */
  readonly errorOutputType?: string | undefined;
  /** How long to keep retrying a batch, counted from its first failure. Default 300 s unless `deliverTo` says otherwise. */
  readonly retryDurationMs?: number | undefined;
  /** How long an accepted request's acknowledgement may take before the request is sent again. Default 180 s (Firehose's default for Splunk). */
  readonly ackTimeoutMs?: number | undefined;
  /**
   * How many batches `deliverTo` builds and sends at once when its `concurrency` option is not given (an
   * integer, 1 – 1024). Default 1. A destination whose request builder works off the main thread (the object
   * stores compress on the thread pool) says how many it can keep busy.
   */
  readonly concurrency?: number | undefined;
  /**
   * The next stage of a chain (Redshift: this stage stores the staging object and manifest, the next runs
   * COPY from `previousLocation`). The next stage builds from the records this stage delivered, with its own
   * retry duration and error output; records settle only when the last stage acknowledged them, or an error
   * output holds them.
   */
  readonly nextStage?: Destination<any> | undefined;
  /** Where this stage's failures go. Default: `deliverTo`'s `errorOutput`. */
  readonly errorOutput?: ErrorOutput | undefined;

  /** The request builder: one batch to one request, once. May return the result, a Promise or an Observable (the first value counts). */
  build(batch: readonly unknown[], context: BuildContext): ObservableInput<BuiltRequest<R>> | BuiltRequest<R>;
  /** The service: sends a built request. Throws or rejects with a {@link DeliveryError} to fail the whole send. */
  send(request: R, attempt: DeliveryAttempt): ObservableInput<SendOutcome<R>>;
  /** Destination-specific fields added to each failure record (e.g. an OpenSearch index name). */
  failureFields?(record: unknown): Readonly<Record<string, unknown>>;
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

/** What one attempt of a call that takes items (a Lambda invocation) says: where they went, and which failed. */
export interface DeliveryAck {
  /** Where the items went. */
  readonly location?: string | undefined;
  /** Items that failed while the rest were taken: only these are retried. */
  readonly failed?: readonly ItemFailure[] | undefined;
}

/**
 * Where failure records go: usually S3 (or a directory) under `<prefix><errorOutputType>/…`. S3 and
 * directory destinations are error outputs too.
 *
 * The same two roles as a {@link Destination}: {@link ErrorOutput.buildFailures} turns one write of failure
 * records into a request once (lays out, compresses, names the object), and {@link ErrorOutput.send}
 * sends it; a retry resends the very same request, so a compressed write is never compressed again.
 * Indexes (`items`, failed items) are into the failure records given to `buildFailures`. A destination that
 * is also an error output shares its `send` (its failure requests are requests of its own kind).
 */
export interface ErrorOutput<R extends DeliveryRequest = DeliveryRequest> {
  readonly name: string;
  /** How long to keep retrying a write of failure records. Default 24 h. */
  readonly retryDurationMs?: number | undefined;
  /** Builds one write of `failures` (all of one `errorOutputType`) into a request, once. */
  buildFailures(
    failures: readonly FailureRecord[],
    errorOutputType: string,
    context: BuildContext,
  ): ObservableInput<BuiltRequest<R>> | BuiltRequest<R>;
  /** Sends a built request (of failure records here); throws a {@link DeliveryError} to fail the whole send. */
  send(request: R, attempt: DeliveryAttempt): ObservableInput<SendOutcome<R>>;
}
