import { asyncScheduler, map, timer, type SchedulerLike } from 'rxjs';
import type { DeliveryAttempt, LegacyDestination, ErrorOutput, FailureRecord, ItemFailure } from '../destinations/Destination.js';
import { DeliveryError } from '../destinations/DeliveryError.js';

/** One attempt the memory destination saw, with what it answered. */
export interface MemoryAttempt<T> {
  /** `scheduler.now()` when the attempt was acknowledged or failed (after `latencyMs`). */
  readonly atMs: number;
  readonly batchId: string;
  readonly attempt: number;
  readonly records: readonly T[];
  /** `ok`, `failed` (the whole attempt) or `partial` (some items failed). */
  readonly outcome: 'ok' | 'failed' | 'partial';
}

/** Failure records written when the memory destination serves as an error output. */
export interface MemoryFailureWrite {
  readonly atMs: number;
  readonly errorOutputType: string;
  readonly failures: readonly FailureRecord[];
}

/** What a rule may answer for an attempt: nothing (success), an error (the attempt fails) or failed items. */
export type MemoryRuleAnswer = void | undefined | Error | readonly ItemFailure[];

export interface MemoryDestinationOptions {
  /** Name in results and metrics. Default `Memory`. */
  readonly name?: string;
  /** Time each attempt takes, on `scheduler`. Default 0 (acknowledged in the same frame). */
  readonly latencyMs?: number;
  readonly scheduler?: SchedulerLike;
  readonly retryDurationMs?: number;
  readonly errorOutputType?: string;
}

export interface MemoryDestination<T> extends LegacyDestination<T>, ErrorOutput {
  /** Every attempt, in order. */
  readonly attempts: MemoryAttempt<T>[];
  /** Every record acknowledged, in order of acknowledgement. */
  readonly delivered: T[];
  /** Failure records written to it as an error output. */
  readonly failureWrites: MemoryFailureWrite[];
  /** The next `times` attempts fail with `error` (default: a retriable `DeliveryError` `<name>.Unavailable`). */
  failNext(times: number, error?: Error): this;
  /** Decides every later attempt (after those queued by `failNext`); return nothing for success. */
  failWhen(rule: (batch: readonly T[], attempt: DeliveryAttempt) => MemoryRuleAnswer): this;
}

/**
 * A destination (and error output) that keeps what it receives in memory, with the virtual time of each
 * attempt, and fails on demand: for marble tests of pipelines, in virtual time.
 *
 * Attempts take `latencyMs` on the scheduler, so concurrency and retries are visible in marble diagrams.
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
  let rule: ((batch: readonly T[], attempt: DeliveryAttempt) => MemoryRuleAnswer) | undefined;

  const decide = (batch: readonly T[], attempt: DeliveryAttempt): MemoryRuleAnswer => queued.shift() ?? rule?.(batch, attempt);

  const destination: MemoryDestination<T> = {
    name,
    ...(options.retryDurationMs === undefined ? {} : { retryDurationMs: options.retryDurationMs }),
    ...(options.errorOutputType === undefined ? {} : { errorOutputType: options.errorOutputType }),
    attempts: [],
    delivered: [],
    failureWrites: [],
    deliver: (batch, attempt) =>
      timer(latencyMs, scheduler).pipe(
        map(() => {
          const records = [...batch];
          const answer = decide(records, attempt);
          const base = { atMs: scheduler.now(), batchId: attempt.batchId, attempt: attempt.attempt, records };
          if (answer instanceof Error) {
            destination.attempts.push({ ...base, outcome: 'failed' });
            throw answer;
          }
          const failed = answer ?? [];
          const failedIndexes = new Set(failed.map((f) => f.index));
          destination.attempts.push({ ...base, outcome: failed.length === 0 ? 'ok' : 'partial' });
          records.forEach((r, i) => failedIndexes.has(i) || destination.delivered.push(r));
          return { location: `memory://${name}/${attempt.batchId}`, failed };
        }),
      ),
    writeFailures: (failures, errorOutputType, attempt) =>
      timer(latencyMs, scheduler).pipe(
        map(() => {
          const answer = queued.shift();
          if (answer instanceof Error) throw answer;
          destination.failureWrites.push({ atMs: scheduler.now(), errorOutputType, failures: [...failures] });
          return { location: `memory://${name}/${errorOutputType}/${attempt.batchId}` };
        }),
      ),
    failNext(times, error = new DeliveryError(`${name}.Unavailable`, `${name} is unavailable`)) {
      for (let i = 0; i < times; i++) queued.push(error);
      return destination;
    },
    failWhen(next) {
      rule = next;
      return destination;
    },
  };
  return destination;
}
