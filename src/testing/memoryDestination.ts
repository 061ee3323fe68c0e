import { asyncScheduler, map, NEVER, timer, type Observable, type SchedulerLike } from 'rxjs';
import type {
  DeliveryAttempt,
  DeliveryRequest,
  Destination,
  ErrorOutput,
  FailureRecord,
  ItemFailure,
  SendOutcome,
} from '../destinations/Destination.js';
import { DeliveryError } from '../destinations/DeliveryError.js';

/** One send the memory destination saw, with what it answered. */
export interface MemoryAttempt<T> {
  /** `scheduler.now()` when the send was answered (after `latencyMs`). */
  readonly atMs: number;
  readonly batchId: string;
  readonly attempt: number;
  /** The request ids of the request sent: the same on every resend of a batch's request. */
  readonly requestIds: readonly string[];
  readonly records: readonly T[];
  /** `ok`, `failed` (the whole send) or `partial` (some items failed). */
  readonly outcome: 'ok' | 'failed' | 'partial';
}

/** Failure records written when the memory destination serves as an error output. */
export interface MemoryFailureWrite {
  readonly atMs: number;
  readonly errorOutputType: string;
  readonly failures: readonly FailureRecord[];
}

/** What a rule may answer for a send: nothing (success), an error (the send fails) or failed items (indexes into the records sent). */
export type MemoryRuleAnswer = void | undefined | Error | readonly ItemFailure[];

export interface MemoryDestinationOptions {
  /** Name in results and metrics. Default `Memory`. */
  readonly name?: string | undefined;
  /** Time each send takes, on `scheduler`. Default 0 (answered in the same frame). */
  readonly latencyMs?: number | undefined;
  /**
   * With a value, accepted sends carry a pending acknowledgement (like Splunk's indexer acknowledgement)
   * that arrives this long after the send was answered; records count as delivered only then.
   */
  readonly ackLatencyMs?: number | undefined;
  readonly ackTimeoutMs?: number | undefined;
  readonly scheduler?: SchedulerLike | undefined;
  readonly retryDurationMs?: number | undefined;
  readonly errorOutputType?: string | undefined;
}

/** The memory destination's request: the batch, and which of its records this send carries. */
export interface MemoryRequest extends DeliveryRequest {
  readonly batch: readonly unknown[];
  /** Set on a write of failure records (the batch holds them): their error output type. */
  readonly errorOutputType?: string | undefined;
}

export interface MemoryDestination<T> extends Destination<MemoryRequest>, ErrorOutput<MemoryRequest> {
  /** Every send, in order. */
  readonly attempts: MemoryAttempt<T>[];
  /** Every record acknowledged, in order of acknowledgement. */
  readonly delivered: T[];
  /** Failure records written to it as an error output. */
  readonly failureWrites: MemoryFailureWrite[];
  /** Requests built, one per batch or write of failure records (a retry never builds again). */
  readonly builds: MemoryRequest[];
  /** The next `times` sends fail with `error` (default: a retriable `DeliveryError` `<name>.Unavailable`). */
  failNext(times: number, error?: Error): this;
  /** Decides every later send (after those queued by `failNext`); return nothing for success. */
  failWhen(rule: (batch: readonly T[], attempt: DeliveryAttempt) => MemoryRuleAnswer): this;
  /** The acknowledgements of the next `times` accepted sends never arrive (with `ackLatencyMs`). */
  loseAckNext(times: number): this;
}

/**
 * A destination (and error output) that keeps what it receives in memory, with the virtual time of each
 * send, and fails on demand: for marble tests of pipelines, in virtual time. It follows the destination
 * contract like any other: one request built per batch, resent as it is; a partial failure retries a
 * smaller request with the same request id; with `ackLatencyMs`, acknowledgements come later (or never,
 * after `loseAckNext`).
 *
 * ## Example
 * ```ts
 * import { memoryDestination } from 'rx-firehose/testing';
 * import { deliverTo } from 'rx-firehose/operators';
 *
 * const dest = memoryDestination<string>({ latencyMs: 10, scheduler }).failNext(1);
 * batches$.pipe(deliverTo(dest, { scheduler, random: () => 0.5 }));
 * // after flushing: dest.attempts[0].outcome === 'failed', dest.attempts[1].outcome === 'ok' at 10 + 1000 + 10
 * ```
 */
export function memoryDestination<T>(options: MemoryDestinationOptions = {}): MemoryDestination<T> {
  const name = options.name ?? 'Memory';
  const scheduler = options.scheduler ?? asyncScheduler;
  const latencyMs = options.latencyMs ?? 0;
  const queued: Error[] = [];
  let acksToLose = 0;
  let rule: ((batch: readonly T[], attempt: DeliveryAttempt) => MemoryRuleAnswer) | undefined;

  const decide = (batch: readonly T[], attempt: DeliveryAttempt): MemoryRuleAnswer => queued.shift() ?? rule?.(batch, attempt);

  const writeFailures = (
    request: MemoryRequest,
    errorOutputType: string,
    attempt: DeliveryAttempt,
  ): Observable<SendOutcome<MemoryRequest>> =>
    timer(latencyMs, scheduler).pipe(
      map((): SendOutcome<MemoryRequest> => {
        const answer = queued.shift();
        if (answer instanceof Error) throw answer;
        destination.failureWrites.push({ atMs: scheduler.now(), errorOutputType, failures: request.batch as FailureRecord[] });
        return { status: 'accepted', location: `memory://${name}/${errorOutputType}/${attempt.batchId}` };
      }),
    );

  const send = (request: MemoryRequest, attempt: DeliveryAttempt): Observable<SendOutcome<MemoryRequest>> =>
    request.errorOutputType !== undefined
      ? writeFailures(request, request.errorOutputType, attempt)
      : timer(latencyMs, scheduler).pipe(
          map((): SendOutcome<MemoryRequest> => {
            const records = request.items.map((i) => request.batch[i] as T);
            const answer = decide(records, attempt);
            const base = { atMs: scheduler.now(), batchId: attempt.batchId, attempt: attempt.attempt, requestIds: request.ids, records };
            if (answer instanceof Error) {
              destination.attempts.push({ ...base, outcome: 'failed' });
              throw answer;
            }
            const failures = answer ?? [];
            const location = `memory://${name}/${attempt.batchId}`;
            destination.attempts.push({ ...base, outcome: failures.length === 0 ? 'ok' : 'partial' });
            if (failures.length > 0) {
              // Indexes of the rule are into the records sent; the outcome's are into the batch.
              const failed = failures.map((f) => ({ ...f, index: request.items[f.index]! }));
              const failedIndexes = new Set(failures.map((f) => f.index));
              records.forEach((r, i) => failedIndexes.has(i) || destination.delivered.push(r));
              const retry = failed.filter((f) => f.retriable !== false).map((f) => f.index);
              return { status: 'partial', location, failed, retry: { ...request, items: retry.sort((a, b) => a - b) } };
            }
            if (options.ackLatencyMs === undefined) {
              destination.delivered.push(...records);
              return { status: 'accepted', location };
            }
            const lost = acksToLose > 0;
            if (lost) acksToLose--;
            const acknowledgement = lost
              ? NEVER
              : timer(options.ackLatencyMs, scheduler).pipe(map(() => void destination.delivered.push(...records)));
            return { status: 'accepted', location, acknowledgement };
          }),
        );

  const destination: MemoryDestination<T> = {
    name,
    ...(options.retryDurationMs === undefined ? {} : { retryDurationMs: options.retryDurationMs }),
    ...(options.errorOutputType === undefined ? {} : { errorOutputType: options.errorOutputType }),
    ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
    attempts: [],
    delivered: [],
    failureWrites: [],
    builds: [],
    build(batch, { batchId }) {
      const request: MemoryRequest = { ids: [`${batchId}/0`], items: batch.map((_r, i) => i), bytes: 0, batch };
      destination.builds.push(request);
      return { request };
    },
    send,
    buildFailures(failures, errorOutputType, { batchId }) {
      const request: MemoryRequest = {
        ids: [`${batchId}/0`],
        items: failures.map((_f, i) => i),
        bytes: 0,
        batch: [...failures],
        errorOutputType,
      };
      destination.builds.push(request);
      return { request };
    },
    failNext(times, error = new DeliveryError(`${name}.Unavailable`, `${name} is unavailable`)) {
      for (let i = 0; i < times; i++) queued.push(error);
      return destination;
    },
    failWhen(next) {
      rule = next;
      return destination;
    },
    loseAckNext(times) {
      acksToLose += times;
      return destination;
    },
  };
  return destination;
}
