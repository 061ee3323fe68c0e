import { join } from 'node:path';
import { defer, type Observable, type SchedulerLike } from 'rxjs';
import type { MetricSink } from '../metrics/MetricSink.js';
import type { StallAction } from '../settlement/StallWatchdog.js';
import { FirehoseApiError } from '../sources/directPut/FirehoseApiError.js';
import {
  openDirectPut,
  type DirectPut,
  type PutRecordAnswer,
  type PutRecordBatchAnswer,
  type PutRecordEntry,
} from '../sources/directPut/openDirectPut.js';
import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import type { DeliveryStream, DeliveryStreamEnvironment, DeliveryStreamSummary } from '../config/DeliveryStream.js';
import { planDeliveryStream, type DeliveryStreamPlan } from '../config/planDeliveryStream.js';
import { sourceBudgetFor } from '../config/sourceBudgetFor.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { InvalidConfigurationError } from '../config/InvalidConfigurationError.js';
import { MissingPeerDependencyError } from '../errors/MissingPeerDependencyError.js';

/** Builds a delivery stream's pipeline from its configuration: `deliveryStreamFromConfig`, or a stand-in in tests. */
export type PipelineFactory = (input: CreateDeliveryStreamInput, environment: DeliveryStreamEnvironment) => DeliveryStream;

export interface OpenDeliveryStreamOptions {
  /** The data directory: S3 buckets become `<dataDir>/<bucket>/`; the stream's log is under `<dataDir>/.rx-firehose/wal/<name>/`. Default `./firehose-data`. */
  readonly dataDir?: string | undefined;
  /** Builds the pipeline from the configuration. Default: `planDeliveryStream`, planned before the log opens (its budget fits the buffers), then started. */
  readonly pipeline?: PipelineFactory | undefined;
  /** Passed to the pipeline: endpoints, clients, region, account id, Lambda handlers. */
  readonly environment?: Omit<DeliveryStreamEnvironment, 'dataDir' | 'records' | 'metrics' | 'scheduler'> | undefined;
  /**
   * The stream's budget of unsettled bytes; past it puts are answered "Slow down.". Default: room for its buffers,
   * `sourceBudgetFor(bufferedBytes)` (64 MiB, or twice the buffers if more; 64 MiB with a `pipeline` of your own).
   */
  readonly maxInFlightBytes?: number | undefined;
  /** The most bytes its log may hold. Default twice `maxInFlightBytes`. */
  readonly maxLogBytes?: number | undefined;
  /** Size of a log segment. Default 8 MiB. */
  readonly segmentBytes?: number | undefined;
  /**
   * How long puts may be refused for a full budget or log while nothing settles before a stall is reported (a `map`
   * in the pipeline that copies records loses their settlements). Default 900,000 ms (15 min); 1 ms–24 h.
   */
  readonly stallTimeoutMs?: number | undefined;
  /** `warn` (default): metrics and a `SettlementStallWarning`, again every `stallTimeoutMs`; `error`: the stream fails with `SettlementStallError`. */
  readonly onStall?: StallAction | undefined;
  readonly metrics?: MetricSink | undefined;
  readonly scheduler?: SchedulerLike | undefined;
}

/** A delivery stream running in this process, with Firehose's put API. */
export interface DirectPutDeliveryStream {
  readonly name: string;
  readonly arn: string;
  /** Delivery results, as the pipeline reports them. */
  readonly results: DeliveryStream['results'];
  /** Resolves once the stream stopped and drained, with what it delivered (and its `error`, if it failed). */
  readonly done: Promise<DeliveryStreamSummary>;
  /** Firehose's `PutRecord`; rejects with a {@link FirehoseApiError}. */
  putRecord(record: PutRecordEntry): Promise<PutRecordAnswer>;
  /** Firehose's `PutRecordBatch`; per-record answers; rejects with a {@link FirehoseApiError} for a request that breaks the limits. */
  putRecordBatch(records: readonly PutRecordEntry[]): Promise<PutRecordBatchAnswer>;
  /** Stops accepting, delivers everything accepted, empties the log; resolves like `done`. */
  stop(): Promise<DeliveryStreamSummary>;
  /** The direct-PUT source (absent for a stream that reads a Kinesis stream). */
  readonly source: DirectPut | undefined;
}

/** Where a stream's write-ahead log lives in the data directory (bucket names cannot start with a dot). */
export function logDirOf(dataDir: string, streamName: string): string {
  return join(dataDir, '.rx-firehose', 'wal', streamName);
}

/**
 * Opens a delivery stream from a Firehose `CreateDeliveryStream` input, in process, with Firehose's
 * `putRecord`/`putRecordBatch`: the same limits, answers, write-ahead log and throttling as
 * `rx-firehose serve`, without HTTP.
 *
 * <span class="informal">Embed a durable Firehose delivery stream in your own process.</span>
 *
 * Records still in the stream's log from an earlier run (a crash) are delivered first. `stop()` refuses
 * later puts with `ServiceUnavailableException`, delivers everything accepted and deletes the log's segments.
 *
 * ## Example
 * ```ts
 * import { openDeliveryStream } from 'rx-firehose';
 *
 * const clicks = await openDeliveryStream({
 *   DeliveryStreamName: 'clicks',
 *   ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::lake', RoleARN: 'arn:aws:iam::000000000000:role/firehose', CompressionFormat: 'GZIP' },
 * }, { dataDir: './firehose-data' });
 * await clicks.putRecordBatch([{ Data: '{"id":1}\n' }, { Data: '{"id":2}\n' }]);
 * await clicks.stop(); // files under ./firehose-data/lake/
 * ```
 *
 * @throws {FirehoseApiError} `InvalidArgumentException` for a configuration the pipeline refuses.
 */
export async function openDeliveryStream(
  input: CreateDeliveryStreamInput,
  options: OpenDeliveryStreamOptions = {},
): Promise<DirectPutDeliveryStream> {
  const dataDir = options.dataDir ?? './firehose-data';
  const name = input.DeliveryStreamName ?? '';
  const directPut = (input.DeliveryStreamType ?? 'DirectPut') === 'DirectPut';
  const environment = (records: Observable<FirehoseRecord> | undefined): DeliveryStreamEnvironment => ({
    ...options.environment,
    dataDir,
    ...(records === undefined ? {} : { records }),
    ...pick(options, ['metrics', 'scheduler']),
  });
  let source: DirectPut | undefined;
  // The pipeline is planned first, so that the budget lets its buffers fill (sourceBudgetFor): with less, a
  // buffer behind a Lambda processor would wait for its interval while producers are told to slow down.
  let plan: DeliveryStreamPlan | undefined;
  if (options.pipeline === undefined) {
    try {
      plan = planDeliveryStream(input, environment(directPut ? defer(() => source!.records) : undefined));
    } catch (err) {
      throw toApiError(err);
    }
  }
  const maxInFlightBytes =
    options.maxInFlightBytes ?? (plan === undefined ? undefined : sourceBudgetFor(plan.bufferedBytes).maxInFlightBytes);
  try {
    source = directPut
      ? await openDirectPut({
          logDir: logDirOf(dataDir, name),
          streamName: name,
          ...(maxInFlightBytes === undefined ? {} : { maxInFlightBytes }),
          ...pick(options, ['maxLogBytes', 'segmentBytes', 'stallTimeoutMs', 'onStall', 'metrics', 'scheduler']),
        })
      : undefined;
  } catch (err) {
    plan?.discard();
    throw err;
  }
  let pipeline: DeliveryStream;
  try {
    pipeline = plan !== undefined ? plan.start() : options.pipeline!(input, environment(source?.records));
  } catch (err) {
    if (source !== undefined) {
      await source.close();
      await source.closeLog();
    }
    throw toApiError(err);
  }
  try {
    // Checks that run asynchronously (a Glue table's schema, jq queries) refuse the stream here, as Firehose
    // refuses CreateDeliveryStream, rather than after it was created.
    await pipeline.loaded;
  } catch (err) {
    await (source === undefined ? pipeline.stop() : source.close());
    await pipeline.done;
    await source?.closeLog();
    throw toApiError(err);
  }
  const notDirectPut = (): Promise<never> =>
    Promise.reject(
      new FirehoseApiError(
        'InvalidArgumentException',
        `This operation is not permitted on ${input.DeliveryStreamType} delivery stream type.`,
      ),
    );
  let stopping: Promise<DeliveryStreamSummary> | undefined;
  const done = pipeline.done.then(async (summary) => {
    await source?.closeLog();
    return summary;
  });
  return {
    name,
    arn: pipeline.arn,
    results: pipeline.results,
    done,
    source,
    putRecord: (record) => (source === undefined ? notDirectPut() : source.putRecord(record)),
    putRecordBatch: (records) => (source === undefined ? notDirectPut() : source.putRecordBatch(records)),
    stop: () =>
      (stopping ??= (async () => {
        if (source === undefined) await pipeline.stop();
        else await source.close();
        return done;
      })()),
  };
}

/**
 * A configuration error from the pipeline factory as Firehose answers it (and a configuration that needs an
 * optional package this server lacks, with what to install); other errors as they are.
 */
export function toApiError(err: unknown): unknown {
  if (err instanceof FirehoseApiError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  if (err instanceof InvalidConfigurationError || err instanceof MissingPeerDependencyError || name === 'InvalidOptionError')
    return new FirehoseApiError('InvalidArgumentException', (err as Error).message);
  return err;
}

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}
