import { randomUUID } from 'node:crypto';
import { checkErrorOutput } from '../src/delivery/checkErrorOutput.js';
import {
  catchError,
  concat,
  defer,
  EMPTY,
  finalize,
  from,
  isObservable,
  map,
  mergeMap,
  Observable,
  of,
  take,
  throwError,
  timeout,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { DeliveryError } from '../src/destinations/DeliveryError.js';
import { errorAfterDrain } from '../src/rx/errorAfterDrain.js';
import type { ErrorOutput } from '../src/destinations/Destination.js';
import { fitsInBatch } from '../src/batching/fitsInBatch.js';
import { dropRecord } from '../src/delivery/dropRecord.js';
import { writeToErrorOutput } from '../src/delivery/writeToErrorOutput.js';
import { InvalidOptionError } from '../src/errors/InvalidOptionError.js';
import type { MetricSink } from '../src/metrics/MetricSink.js';
import { checkFunction } from '../src/options/checkFunction.js';
import { checkNumber } from '../src/options/checkNumber.js';
import { checkObject } from '../src/options/checkObject.js';
import { checkScheduler } from '../src/options/checkScheduler.js';
import type { FirehoseRecord } from '../src/records/FirehoseRecord.js';
import { FIREHOSE_BACKOFF, type Backoff } from '../src/retry/backoffDelayMs.js';
import { checkBackoff } from '../src/retry/checkBackoff.js';
import { retryBatch, type FinalFailure, type RetryPolicy } from '../src/retry/retryBatch.js';
import { mergeMapInOrder } from '../src/rx/mergeMapInOrder.js';
import { carrySettlement } from '../src/settlement/carrySettlement.js';
import { buildEvent } from '../src/transform/buildEvent.js';
import { checkResponseSize } from '../src/transform/checkResponseSize.js';
import { invocationPayloadBytes, LAMBDA_PAYLOAD_LIMIT_BYTES } from '../src/transform/invocationPayloadBytes.js';
import { invokeLambda, type LambdaFunction } from '../src/transform/invokeLambda.js';
import type {
  AwsLambdaTypedTransformation,
  FirehoseTransformationEvent,
  FirehoseTransformationResult,
  LocalTransformation,
  TransformationCallback,
  TransformationContext,
} from '../src/transform/lambdaContract.js';
import { validateResponse, type RecordOutcome } from '../src/transform/validateResponse.js';
import { bufferBySizeOrTime } from './bufferBySizeOrTime.js';

const NAME = 'transformWithLambda';
const MIB = 1_048_576;
/** An invocation's event stays below this (Lambda's 6 MB limit, less room for the envelope). */
const EVENT_BUDGET_BYTES = LAMBDA_PAYLOAD_LIMIT_BYTES - 64 * 1024;

export interface TransformWithLambdaOptions {
  /** The processor's buffer size. Default 1 MiB; Firehose's range 0.2–3 MiB. */
  readonly maxBytes?: number | undefined;
  /** The processor's buffer interval. Default 60 s; Firehose's range 0–900 s. */
  readonly maxMs?: number | undefined;
  /** Retries of a failed invocation before its records are processing-failed. Default 3; 0–300. */
  readonly numberOfRetries?: number | undefined;
  /** How long one invocation may take. Default 5 minutes; at most 15. */
  readonly invocationTimeoutMs?: number | undefined;
  /** Invocations in flight at once. Default 1; Firehose runs up to 5 per shard. */
  readonly concurrency?: number | undefined;
  /** Where `processing-failed` records go. Without one, failures error the stream with `UndeliverableRecordsError`. */
  readonly errorOutput?: ErrorOutput | undefined;
  /** The stream's name, for the event's `deliveryStreamArn`. Default `rx-firehose`. */
  readonly streamName?: string | undefined;
  /** The event's `deliveryStreamArn`. Default `arn:aws:firehose:<region>:000000000000:deliverystream/<streamName>`. */
  readonly deliveryStreamArn?: string | undefined;
  /** The event's `region`. Default `us-east-1`. */
  readonly region?: string | undefined;
  /** The event's `sourceKinesisStreamArn`, sent when the batch's records came from that Kinesis stream. */
  readonly sourceKinesisStreamArn?: string | undefined;
  /** The `lambdaArn` of processing-failed records. Default: derived from the function. */
  readonly lambdaArn?: string | undefined;
  /** Backoff between invocation retries. Default Firehose's: 1 s, ×2, ≤ 120 s, ±15%. */
  readonly backoff?: Partial<Backoff> | undefined;
  readonly random?: (() => number) | undefined;
  /** Where buffering, backoff and timeouts wait. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /** `ExecuteProcessing.Duration|Success`, `SucceedProcessing.Records|Bytes`. */
  readonly metrics?: MetricSink | undefined;
}

/**
 * Transforms records with a Firehose data-transformation function: the same handler code you deploy to
 * AWS Lambda, run in this process, or a real Lambda function invoked through the Invoke API.
 *
 * <span class="informal">Firehose's Lambda processor: its own buffer, its contract, its retries, and `processing-failed/` for what fails.</span>
 *
 * ```
 * records ──▶ [ processor buffer: 1 MiB / 60 s ] ──▶ invoke (≤ 6 MB events, retried) ──▶ Ok records ──▶ [ destination buffer ] ──▶ deliverTo
 *                                                          │ Dropped: settled, gone
 *                                                          └ ProcessingFailed / invocation failed: processing-failed records → errorOutput
 * ```
 *
 * Records are buffered with `bufferBySizeOrTime` (`maxBytes`, `maxMs`), and each buffer is sent as one
 * event (several when its base64 JSON would exceed Lambda's 6 MB limit). The response must answer every
 * input `recordId` exactly once with `Ok`, `Dropped` or `ProcessingFailed`, and base64 `data` for `Ok`;
 * one that does not is an invocation failure with Firehose's code (`Lambda.MissingRecordId`,
 * `Lambda.DuplicatedRecordId`, `Lambda.JsonProcessingException`), like a thrown error or function error
 * (`Lambda.FunctionError`), a throttle (`Lambda.InvokeLimitExceeded`), an unknown function
 * (`Lambda.ResourceNotFound`) or a timeout (`Lambda.FunctionTimedOut`). Failed invocations are retried
 * `numberOfRetries` times with backoff; then every record of the event is processing-failed.
 *
 * - `Ok`: a new record with the transformed data, the same `recordId`, the original's arrival time and
 *   Kinesis metadata, `partitionKeys` from `metadata.partitionKeys`, and the original's settlement.
 * - `Dropped`: the original is handed to the engine, which settles it as dropped.
 * - `ProcessingFailed` (and records of failed invocations): Firehose `processing-failed` records (with the
 *   original bytes as `rawData`, and `lambdaArn`) go to `errorOutput` through the delivery engine, which
 *   settles the original once they are written. The operator never settles a record itself. Without an error output the stream errors with `UndeliverableRecordsError`.
 *
 * Up to `concurrency` invocations are in flight; output records keep the input order (a later event's
 * records wait for earlier ones). Completion waits for every invocation; so does a source error, which is
 * passed on after that. For a backup of the untransformed
 * records, put `teeBackup` before this operator.
 *
 * ## Example
 * ```ts
 * import { teeBackup, transformWithLambda, bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * export const handler = async (event) => ({
 *   records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })),
 * });
 *
 * records$.pipe(
 *   teeBackup(rawBackup),
 *   transformWithLambda(handler, { errorOutput: lake }),          // or { client, functionName: 'enrich' }
 *   bufferBySizeOrTime(),
 *   deliverTo(lake, { errorOutput: lake }),
 * );
 * ```
 *
 * @param handler A local handler `(event) => result` (async or not), or `{ client, functionName, qualifier }`.
 * @param options The processor buffer, retries, timeout, concurrency, error output, event fields.
 * @returns An operator from records to transformed records.
 * @throws {InvalidOptionError} at the call, for an option out of its range.
 * @see teeBackup
 */
export function transformWithLambda(
  handler: LocalTransformation | LambdaFunction,
  options?: TransformWithLambdaOptions,
): OperatorFunction<FirehoseRecord, FirehoseRecord>;
/** The same, for a handler typed with the `aws-lambda` typings (which call `subsequenceNumber` a string; it is a number). */
export function transformWithLambda(
  handler: AwsLambdaTypedTransformation,
  options?: TransformWithLambdaOptions,
): OperatorFunction<FirehoseRecord, FirehoseRecord>;
export function transformWithLambda(
  handler: LocalTransformation | LambdaFunction | AwsLambdaTypedTransformation,
  options: TransformWithLambdaOptions = {},
): OperatorFunction<FirehoseRecord, FirehoseRecord> {
  checkObject(NAME, 'options', options, {});
  const isLocal = typeof handler === 'function';
  if (
    !isLocal &&
    (typeof handler !== 'object' ||
      handler === null ||
      typeof handler.client?.send !== 'function' ||
      typeof handler.functionName !== 'string')
  ) {
    throw new InvalidOptionError(
      NAME,
      'handler',
      handler,
      'a transformation function, or { client: LambdaClient, functionName, qualifier? }',
    );
  }
  const maxBytes = checkNumber(NAME, 'maxBytes', options.maxBytes, MIB, { min: Math.round(0.2 * MIB), max: 3 * MIB, unit: 'bytes' });
  const maxMs = checkNumber(NAME, 'maxMs', options.maxMs, 60_000, { min: 0, max: 900_000, unit: 'ms' });
  const numberOfRetries = checkNumber(NAME, 'numberOfRetries', options.numberOfRetries, 3, { min: 0, max: 300, integer: true });
  const invocationTimeoutMs = checkNumber(NAME, 'invocationTimeoutMs', options.invocationTimeoutMs, 300_000, {
    min: 1,
    max: 900_000,
    unit: 'ms',
  });
  const concurrency = checkNumber(NAME, 'concurrency', options.concurrency, 1, { min: 1, max: 1024, integer: true });
  const errorOutput = checkErrorOutput(NAME, 'errorOutput', options.errorOutput);
  for (const option of ['streamName', 'deliveryStreamArn', 'region', 'sourceKinesisStreamArn', 'lambdaArn'] as const) {
    const v = options[option];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new InvalidOptionError(NAME, option, v, 'a non-empty string');
  }
  const region = options.region ?? 'us-east-1';
  const deliveryStreamArn =
    options.deliveryStreamArn ?? `arn:aws:firehose:${region}:000000000000:deliverystream/${options.streamName ?? 'rx-firehose'}`;
  const functionName = isLocal ? handler.name || 'transformation' : handler.functionName;
  const lambdaArn =
    options.lambdaArn ??
    (!isLocal && handler.functionName.startsWith('arn:')
      ? handler.functionName
      : `arn:aws:lambda:${region}:000000000000:function:${functionName}${!isLocal && handler.qualifier !== undefined ? `:${handler.qualifier}` : ''}`);
  const scheduler = checkScheduler(NAME, options.scheduler);
  const policy: RetryPolicy = {
    retryDurationMs: Number.POSITIVE_INFINITY,
    maxAttempts: numberOfRetries + 1,
    backoff: checkBackoff(NAME, options.backoff, FIREHOSE_BACKOFF),
    random: checkFunction<() => number>(NAME, 'random', options.random) ?? Math.random,
    scheduler,
  };
  const metrics = checkFunction<MetricSink>(NAME, 'metrics', options.metrics);
  const buffer = bufferBySizeOrTime<FirehoseRecord>({ maxBytes, maxMs, scheduler });

  // One attempt: the handler's answer, validated, or a DeliveryError with Firehose's code.
  const invokeOnce = (event: ReturnType<typeof buildEvent>['event'], byId: Map<string, number>): Observable<RecordOutcome[]> =>
    defer(() => {
      const abort = new AbortController();
      const answer: Observable<unknown> = isLocal
        ? runLocal(
            handler as LocalTransformation /* an aws-lambda-typed one gets the real event too */,
            event,
            functionName,
            lambdaArn,
            invocationTimeoutMs,
            scheduler,
          ).pipe(
            take(1), // a Lambda answers once: an Observable that emits and never completes is done at its first value
            map(checkResponseSize), // Lambda's 6 MB response limit holds for a local handler too
            catchError((err: unknown) =>
              throwError(() =>
                err instanceof DeliveryError
                  ? err
                  : new DeliveryError('Lambda.FunctionError', `the transformation threw: ${(err as Error)?.message ?? String(err)}`, {
                      cause: err,
                    }),
              ),
            ),
          )
        : from(invokeLambda(handler, event, abort.signal));
      return answer.pipe(
        timeout({
          first: invocationTimeoutMs,
          scheduler,
          with: () =>
            throwError(() => new DeliveryError('Lambda.FunctionTimedOut', `the invocation took longer than ${invocationTimeoutMs} ms`)),
        }),
        map((response) => validateResponse(response, byId)),
        finalize(() => abort.abort()),
      );
    });

  // One event: invoke with retries, then route each record by its outcome. Emits the Ok records.
  const processEvent = (chunk: readonly FirehoseRecord[]): Observable<FirehoseRecord> =>
    defer(() => {
      const invocationId = randomUUID();
      const withKinesis = options.sourceKinesisStreamArn !== undefined && chunk.some((r) => r.kinesisRecordMetadata !== undefined);
      const { event, byId } = buildEvent(
        chunk,
        invocationId,
        deliveryStreamArn,
        region,
        withKinesis ? options.sourceKinesisStreamArn : undefined,
      );
      const startedAtMs = scheduler.now();
      const abort = new AbortController();
      let outcomes: RecordOutcome[] = [];
      const toErrorOutput = (records: readonly FirehoseRecord[], failures: readonly FinalFailure[]): Observable<never> =>
        writeToErrorOutput(
          {
            records,
            failures,
            stage: 'Lambda',
            errorOutputType: 'processing-failed',
            batchId: invocationId,
            fallbackArrivalMs: startedAtMs,
            extraFields: () => ({ lambdaArn }),
          },
          errorOutput,
          policy,
          abort.signal,
        ).pipe(mergeMap(() => EMPTY)); // the engine settles them as failed once written

      return retryBatch([event], () => invokeOnce(event, byId).pipe(map((o) => void (outcomes = o))), policy, 'Lambda').pipe(
        mergeMap((outcome) => {
          const invocationFailure = outcome.failed.get(0);
          metrics?.('ExecuteProcessing.Duration', scheduler.now() - startedAtMs, 'Milliseconds');
          metrics?.('ExecuteProcessing.Success', invocationFailure === undefined ? 1 : 0, 'Count');
          if (invocationFailure !== undefined)
            return toErrorOutput(
              chunk,
              chunk.map(() => invocationFailure),
            );

          const transformed: FirehoseRecord[] = [];
          const failed: FirehoseRecord[] = [];
          let succeededBytes = 0;
          outcomes.forEach((o, i) => {
            const original = chunk[i]!;
            if (o.result === 'Ok') {
              const partitionKeys = o.partitionKeys ?? original.partitionKeys;
              const record: FirehoseRecord = {
                recordId: original.recordId,
                data: o.data!,
                approximateArrivalTimestamp: original.approximateArrivalTimestamp,
                ...(original.kinesisRecordMetadata === undefined ? {} : { kinesisRecordMetadata: original.kinesisRecordMetadata }),
                ...(partitionKeys === undefined ? {} : { partitionKeys }),
              };
              carrySettlement(original, record);
              transformed.push(record);
              succeededBytes += o.data!.byteLength;
            } else if (o.result === 'Dropped') dropRecord(original);
            else failed.push(original);
          });
          metrics?.('SucceedProcessing.Records', chunk.length - failed.length, 'Count');
          metrics?.('SucceedProcessing.Bytes', succeededBytes, 'Bytes');
          const attemptEndingTimestamp = scheduler.now();
          const failures = failed.map(() => ({
            errorCode: 'Lambda.ProcessingFailedStatus',
            errorMessage: 'the transformation returned ProcessingFailed for this record',
            attemptsMade: outcome.attempts,
            attemptEndingTimestamp,
          }));
          // The transformed records go on once the failed ones are safely in the error output.
          return failed.length === 0 ? from(transformed) : concat(toErrorOutput(failed, failures), from(transformed));
        }),
        finalize(() => abort.abort()),
      );
    });

  // A source error waits until the records already received are transformed (or written to the error output).
  return errorAfterDrain((records) =>
    records.pipe(
      buffer,
      mergeMap((batch) => from(splitByPayload(batch))),
      mergeMapInOrder(processEvent, concurrency),
    ),
  );
}

/** Splits a buffered batch into events that stay under Lambda's payload limit. */
function splitByPayload(batch: readonly FirehoseRecord[]): FirehoseRecord[][] {
  const events: FirehoseRecord[][] = [];
  let current: FirehoseRecord[] = [];
  let bytes = 512;
  for (const record of batch) {
    const size = invocationPayloadBytes(record);
    if (!fitsInBatch(current.length, bytes, size, EVENT_BUDGET_BYTES)) {
      events.push(current);
      current = [];
      bytes = 512;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) events.push(current);
  return events;
}

/**
 * Runs a local handler as Lambda would: with a context, and whichever way it answers (a value, a Promise,
 * an Observable, or the callback / `context.succeed` / `context.fail` / `context.done`).
 */
function runLocal(
  handler: LocalTransformation,
  event: FirehoseTransformationEvent,
  functionName: string,
  invokedFunctionArn: string,
  invocationTimeoutMs: number,
  scheduler: SchedulerLike,
): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const startedAtMs = scheduler.now();
    let answered = false;
    const callback: TransformationCallback = (error, result) => {
      if (answered) return;
      answered = true;
      if (error !== undefined && error !== null) subscriber.error(typeof error === 'string' ? new Error(error) : error);
      else {
        subscriber.next(result);
        subscriber.complete();
      }
    };
    const context: TransformationContext = {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn,
      memoryLimitInMB: '128',
      awsRequestId: event.invocationId,
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'rx-firehose',
      getRemainingTimeInMillis: () => Math.max(0, invocationTimeoutMs - (scheduler.now() - startedAtMs)),
      done: (error, result) => callback(error ?? null, result as FirehoseTransformationResult),
      fail: (error) => callback(error),
      succeed: (result) => callback(null, result as FirehoseTransformationResult),
    };
    const returned = handler(event, context, callback);
    if (returned === undefined) return undefined; // callback style: wait for it
    answered = true;
    const answer = isObservable(returned) ? returned : isPromiseLike(returned) ? from(returned) : of(returned);
    return answer.subscribe(subscriber);
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<FirehoseTransformationResult> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
