import type { Observable, SchedulerLike } from 'rxjs';
import type { MetricSink } from '../metrics/MetricSink.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';

/** A `CreateDeliveryStream` input as Firehose's API takes it (the fields the server itself reads are typed). */
export interface CreateDeliveryStreamInput {
  readonly DeliveryStreamName: string;
  readonly DeliveryStreamType?: string;
  readonly Tags?: ReadonlyArray<{ readonly Key: string; readonly Value?: string }>;
  readonly [field: string]: unknown;
}

/** What a pipeline built from a configuration gets: where to write, the records of a direct-PUT stream, and the shared parts. */
export interface PipelineEnvironment {
  readonly dataDir: string;
  /** The stream's records, for a direct-PUT stream; absent when the stream reads its own source (Kinesis). */
  readonly records?: Observable<FirehoseRecord>;
  readonly metrics?: MetricSink;
  readonly scheduler?: SchedulerLike;
  readonly region?: string;
  readonly accountId?: string;
  readonly endpoints?: { readonly s3?: string; readonly kinesis?: string; readonly lambda?: string; readonly dynamodb?: string };
}

/** A running pipeline: what `deliveryStreamFromConfig` returns. */
export interface PipelineHandle {
  readonly name: string;
  readonly arn: string;
  readonly results: Observable<unknown>;
  /** Settles when the pipeline completed: its source completed and everything drained. */
  readonly done: Promise<unknown>;
  /** Stops the sources the pipeline owns (Kinesis), drains, resolves like `done`. */
  stop(): Promise<unknown>;
}

/**
 * Builds a pipeline from a `CreateDeliveryStream` input; throws (an `InvalidConfigurationError`) for a
 * configuration it cannot run. `deliveryStreamFromConfig` is one.
 */
export type PipelineFactory = (input: CreateDeliveryStreamInput, environment: PipelineEnvironment) => PipelineHandle;
