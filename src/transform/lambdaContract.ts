import type { Observable } from 'rxjs';

// Firehose's data-transformation contract, shaped exactly as the `aws-lambda` typings'
// FirehoseTransformationEvent and FirehoseTransformationResult, so a handler written for AWS runs here
// unchanged (and a handler typed with those typings type-checks here).

/** Kinesis metadata of a record in the event (present when the source is a Kinesis stream). */
export interface FirehoseTransformationRecordMetadata {
  shardId: string;
  partitionKey: string;
  approximateArrivalTimestamp: number;
  sequenceNumber: string;
  /**
   * A number, as in the events Firehose sends (and in the Powertools for AWS Lambda parser's schema of
   * them). The `aws-lambda` typings declare it a string; `transformWithLambda` accepts a handler typed with
   * them all the same (see {@link AwsLambdaTypedTransformation}).
   */
  subsequenceNumber: number;
}

/** One record of the event. */
export interface FirehoseTransformationEventRecord {
  recordId: string;
  approximateArrivalTimestamp: number;
  /** The record's bytes, base64. */
  data: string;
  kinesisRecordMetadata?: FirehoseTransformationRecordMetadata | undefined;
}

/** The event a transformation receives: one buffered batch. */
export interface FirehoseTransformationEvent {
  invocationId: string;
  deliveryStreamArn: string;
  sourceKinesisStreamArn?: string | undefined;
  region: string;
  records: FirehoseTransformationEventRecord[];
}

/** `Ok` and `Dropped` are success; `ProcessingFailed` sends the record to `processing-failed/`. */
export type FirehoseTransformationStatus = 'Ok' | 'Dropped' | 'ProcessingFailed';

/** One record of the response: every input `recordId` exactly once. */
export interface FirehoseTransformationResultRecord {
  recordId: string;
  result: FirehoseTransformationStatus;
  /** The transformed bytes, base64 (required for `Ok`). */
  data?: string | undefined;
  /** Dynamic partitioning keys, for `!{partitionKeyFromLambda:key}`. */
  metadata?: { partitionKeys: { [name: string]: string } } | undefined;
}

/** The response a transformation returns. */
export interface FirehoseTransformationResult {
  records: FirehoseTransformationResultRecord[];
}

/**
 * What a local transformation gets as its Lambda context: the fields of the `aws-lambda` typings'
 * `Context`, filled in for a function running in this process.
 */
export interface TransformationContext {
  callbackWaitsForEmptyEventLoop: boolean;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  /** Time left before `invocationTimeoutMs`, on the pipeline's scheduler. */
  getRemainingTimeInMillis(): number;
  /** Callback-style completion (deprecated in AWS, supported here). */
  done(error?: Error, result?: unknown): void;
  fail(error: Error | string): void;
  succeed(messageOrObject: unknown): void;
}

/** Callback-style completion of a handler. */
export type TransformationCallback = (error?: Error | string | null, result?: FirehoseTransformationResult) => void;

/**
 * A transformation running in this process: the signature of an AWS Lambda Firehose transformation
 * handler (`(event, context, callback)`, async or callback style), so a handler typed with the `aws-lambda`
 * typings' `FirehoseTransformationHandler` is one as it is. It may also return the result directly, or an
 * Observable (which makes latency and timeouts testable in virtual time).
 */
export type LocalTransformation = (
  event: FirehoseTransformationEvent,
  context: TransformationContext,
  callback: TransformationCallback,
) => void | FirehoseTransformationResult | PromiseLike<FirehoseTransformationResult> | Observable<FirehoseTransformationResult>;

/**
 * A handler typed with the `aws-lambda` typings' `FirehoseTransformationHandler`, whose event declares
 * `kinesisRecordMetadata.subsequenceNumber` a string. `transformWithLambda` accepts it as it is; at run time
 * it receives the event Firehose sends, where that field is a number.
 */
export type AwsLambdaTypedTransformation = (
  event: Omit<FirehoseTransformationEvent, 'records'> & {
    records: Array<
      Omit<FirehoseTransformationEventRecord, 'kinesisRecordMetadata'> & {
        kinesisRecordMetadata?:
          | (Omit<FirehoseTransformationRecordMetadata, 'subsequenceNumber'> & { subsequenceNumber: string })
          | undefined;
      }
    >;
  },
  context: TransformationContext,
  callback: TransformationCallback,
) => void | FirehoseTransformationResult | PromiseLike<FirehoseTransformationResult> | Observable<FirehoseTransformationResult>;
