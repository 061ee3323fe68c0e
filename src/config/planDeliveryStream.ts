import { resolve } from 'node:path';
import { asyncScheduler, from, Subject, tap, type Observable } from 'rxjs';
import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import { bufferBySizeOrTime } from '../../operators/bufferBySizeOrTime.js';
import { deliverTo } from '../../operators/deliverTo.js';
import type { AttemptFailure } from '../delivery/batchDelivery.js';
import { DeliveryError } from '../destinations/DeliveryError.js';
import type { ErrorOutput } from '../destinations/Destination.js';
import type { MetricSink } from '../metrics/MetricSink.js';
import { byteSizeOf } from '../records/byteSizeOf.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { checkFields } from './checkFields.js';
import { clientsFor } from './clientsFor.js';
import type { ConfigContext } from './ConfigContext.js';
import { configString } from './configString.js';
import type { DeliveryStream, DeliveryStreamEnvironment, DeliveryStreamResult, DeliveryStreamSummary } from './DeliveryStream.js';
import { destinationFromConfig, DESTINATIONS_NOT_YET } from './destinationFromConfig.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { MissingPeerDependencyError } from '../errors/MissingPeerDependencyError.js';
import { KINESIS_STREAM_ARN, sourceFromConfig } from './sourceFromConfig.js';
import { sourceBudgetFor } from './sourceBudgetFor.js';

const TOP_LEVEL = [
  'DeliveryStreamName',
  'DeliveryStreamType',
  'DirectPutSourceConfiguration',
  'KinesisStreamSourceConfiguration',
  'S3DestinationConfiguration',
  'ExtendedS3DestinationConfiguration',
  'HttpEndpointDestinationConfiguration',
  'AmazonopensearchserviceDestinationConfiguration',
  'ElasticsearchDestinationConfiguration',
  'AmazonOpenSearchServerlessDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'RedshiftDestinationConfiguration',
  'RxFirehosePostgreSQLDestinationConfiguration',
  'Tags',
];
const TOP_LEVEL_NOT_YET = [
  'DeliveryStreamEncryptionConfigurationInput',
  'MSKSourceConfiguration',
  'DatabaseSourceConfiguration',
  ...DESTINATIONS_NOT_YET,
];
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;

/** A delivery stream checked and built, not yet running. */
export interface DeliveryStreamPlan {
  readonly name: string;
  readonly arn: string;
  /** One line: source → processing → destination. */
  readonly description: string;
  /**
   * Resolves when the checks that run asynchronously have passed (a Glue table's schema read, jq queries
   * compiled), at once when there are none; rejects with an {@link InvalidConfigurationError} naming the field.
   * Await it to refuse such a configuration before starting; a started stream reads no record before it.
   */
  readonly loaded: Promise<void>;
  /**
   * The most bytes the stream's buffers hold before they flush by size: the destination's (`SizeInMBs`), plus a
   * Lambda processor's and the source record backup's. Their records are all in flight for the source. A
   * source that lets fewer bytes (or, `fromLines`, fewer records) be in flight stops reading before the
   * buffers fill: the destination then writes objects smaller than `SizeInMBs`, and a buffer behind a Lambda
   * processor, which never hears that reading stopped, waits for its `IntervalInSeconds`. The Kinesis source
   * built here lets twice this much be in flight (at least its default 64 MiB); give a source of your own
   * (`DeliveryStreamEnvironment.records`) as much (see {@link sourceBudgetFor}).
   */
  readonly bufferedBytes: number;
  /** Starts the pipeline (once). */
  start(): DeliveryStream;
  /** Lets go of a plan that will not be started (the clients it built). */
  discard(): void;
}

/**
 * Checks a `CreateDeliveryStream` input and builds its pipeline without starting it, so that several
 * configurations can all be checked before any of them reads a record (as `rx-firehose run` does).
 * {@link deliveryStreamFromConfig} is `planDeliveryStream(input, environment).start()`.
 *
 * ## Example
 * ```ts
 * const plans = inputs.map((input) => planDeliveryStream(input, { dataDir: './firehose-data' })); // throws for any invalid one
 * const streams = plans.map((plan) => plan.start());
 * ```
 *
 * @throws {InvalidConfigurationError} for anything invalid or not supported yet, naming the field.
 */
export function planDeliveryStream(input: CreateDeliveryStreamInput, environment: DeliveryStreamEnvironment = {}): DeliveryStreamPlan {
  const top = checkFields(input, '', { supported: TOP_LEVEL, notYet: TOP_LEVEL_NOT_YET, required: ['DeliveryStreamName'] });
  const name = configString(top.DeliveryStreamName, 'DeliveryStreamName', {
    minLength: 1,
    maxLength: 64,
    pattern: STREAM_NAME,
    description: '1 to 64 characters of a–z, A–Z, 0–9, "_", "." and "-"',
  })!;
  checkTags(top.Tags);
  const region = environment.region ?? 'us-east-1';
  if (!REGION.test(region)) throw InvalidConfigurationError.invalid('environment.region', region, 'an AWS region name such as us-east-1');
  const accountId = environment.accountId ?? '000000000000';
  if (!ACCOUNT.test(accountId)) throw InvalidConfigurationError.invalid('environment.accountId', accountId, 'a 12-digit AWS account id');
  const scheduler = environment.scheduler;
  const clock = scheduler ?? asyncScheduler;

  const tally = {
    incomingRecords: 0,
    incomingBytes: 0,
    deliveredRecords: 0,
    deliveredBytes: 0,
    deliveredBatches: 0,
    errorOutputRecords: 0,
    backupRecords: 0,
  };
  const results = new Subject<DeliveryStreamResult>();
  const metrics = firehoseNames(environment.metrics);
  const clients = clientsFor(environment);
  const stop = new AbortController();
  const checks: Array<() => Promise<void>> = [];
  const kinesisArn = (top.KinesisStreamSourceConfiguration as { KinesisStreamARN?: unknown } | undefined)?.KinesisStreamARN;
  let bufferedBytes = 0;

  const ctx: ConfigContext = {
    streamName: name,
    streamArn: `arn:aws:firehose:${region}:${accountId}:deliverystream/${name}`,
    region,
    accountId,
    dataDir: resolve(environment.dataDir ?? './firehose-data'),
    environment,
    scheduler,
    metrics,
    clients,
    lambdaHandlers: environment.lambdaHandlers ?? {},
    sourceKinesisStreamArn: typeof kinesisArn === 'string' && KINESIS_STREAM_ARN.test(kinesisArn) ? kinesisArn : undefined,
    atLoad: (field, check) => {
      // An optional peer the check needs (jq-wasm, @aws-sdk/client-glue) that is not installed refuses the
      // configuration like any other check, naming the field that needs it.
      checks.push(() =>
        check().catch((err: unknown) => {
          throw err instanceof MissingPeerDependencyError
            ? new InvalidConfigurationError(field, `${field}: ${err.message}`, { cause: err })
            : err;
        }),
      );
    },
    counted: (out) => countFailures(out, (n) => (tally.errorOutputRecords += n)),
    onBackupResult: (result) => {
      tally.backupRecords += result.records.length - result.failed.length;
      results.next({ ...result, stage: 'backup' });
    },
    holdsBytes: (bytes) => {
      bufferedBytes += bytes;
    },
  };

  let pipeline: Observable<unknown>;
  let source: ReturnType<typeof sourceFromConfig>;
  let description: string;
  try {
    // The destination first: the source's budget covers its buffers.
    const plan = destinationFromConfig(top, ctx);
    bufferedBytes += plan.buffering.maxBytes;
    source = sourceFromConfig(top, ctx, stop.signal, sourceBudgetFor(bufferedBytes).maxInFlightBytes);
    description = `${source.description} → ${plan.description}`;
    const buffer =
      plan.buffer ?? bufferBySizeOrTime<FirehoseRecord>({ ...plan.buffering, ...(scheduler === undefined ? {} : { scheduler }) });
    const deliver = deliverTo<FirehoseRecord>(plan.destination, {
      errorOutput: plan.errorOutput,
      ...(plan.retryDurationMs === undefined ? {} : { retryDurationMs: plan.retryDurationMs }),
      ...(scheduler === undefined ? {} : { scheduler }),
      ...(metrics === undefined ? {} : { metrics }),
      ...(environment.warn === undefined ? {} : { onAttemptFailed: sayingFailedAttempts(name, environment.warn) }),
    });
    const incoming = source.records.pipe(
      tap((record) => {
        const bytes = byteSizeOf(record);
        tally.incomingRecords++;
        tally.incomingBytes += bytes;
        metrics?.('IncomingRecords', 1, 'Count');
        metrics?.('IncomingBytes', bytes, 'Bytes');
      }),
    );
    const transformed = plan.stages.reduce((records, stage) => records.pipe(stage), incoming);
    pipeline = transformed.pipe(
      buffer,
      deliver,
      tap((result) => {
        const delivered = result.records.length - result.failed.length;
        if (delivered > 0) {
          tally.deliveredRecords += delivered;
          tally.deliveredBytes += result.bytes - result.failed.reduce((sum, r) => sum + byteSizeOf(r), 0);
          tally.deliveredBatches++;
        }
        results.next({ ...result, stage: 'destination' });
      }),
    );
  } catch (err) {
    void clients.destroy();
    throw err;
  }
  // Started only once every synchronous check passed, so a refused configuration sends no request.
  const loaded = checks.length === 0 ? undefined : Promise.all(checks.map((check) => check())).then(() => undefined);
  loaded?.catch(() => undefined); // handled: whoever awaits `loaded` or `done` is told

  let started = false;
  const start = (): DeliveryStream => {
    if (started) throw new Error(`planDeliveryStream: ${name} was already started`);
    started = true;
    const startedAtMs = clock.now();
    const summary = (error?: unknown): DeliveryStreamSummary => ({
      name,
      ...tally,
      durationMs: clock.now() - startedAtMs,
      ...(error === undefined ? {} : { error }),
    });
    const done = new Promise<DeliveryStreamSummary>((settle) => {
      const finish = (error?: unknown): void => {
        // A stopped source saves its last checkpoints after the pipeline drained: wait for them.
        const saved = stop.signal.aborted && error === undefined ? source.stopped() : Promise.resolve(undefined);
        void saved.then(async (checkpointError) => {
          // The pools built for the stream are ended before `done` resolves: no connection outlives the stream.
          await clients.destroy();
          results.complete();
          settle(summary(error ?? checkpointError ?? undefined));
        });
      };
      const run = (): void => {
        pipeline.subscribe({ error: (err: unknown) => finish(err), complete: () => finish() });
      };
      // Without asynchronous checks the pipeline starts synchronously, as it always did (virtual time needs it).
      if (loaded === undefined) run();
      else loaded.then(run, (err: unknown) => finish(err));
    });
    return {
      name,
      arn: ctx.streamArn,
      description,
      loaded: loaded ?? Promise.resolve(),
      results: results.asObservable(),
      done,
      stop: () => {
        stop.abort();
        return done;
      },
    };
  };
  return {
    name,
    arn: ctx.streamArn,
    description,
    loaded: loaded ?? Promise.resolve(),
    bufferedBytes,
    start,
    discard: () => {
      if (!started) void clients.destroy();
    },
  };
}

/**
 * Words a failed send for `warn`: the destination keeps retrying, and the user should hear of it while it lasts;
 * or, for an error that retrying cannot help, that the batch goes to the error output now.
 */
function sayingFailedAttempts(streamName: string, warn: (message: string) => void): (failure: AttemptFailure) => void {
  return ({ destination, attempt, error }) => {
    const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
    const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' && e.name !== 'Error' ? e.name : undefined;
    const message = String(e?.message ?? error);
    const next =
      error instanceof DeliveryError && error.permanent
        ? 'retrying cannot help: its records go to the error output'
        : 'retrying with backoff while its retry duration lasts';
    warn(
      `${streamName}: sending a batch to ${destination} failed (attempt ${attempt}): ${code === undefined ? '' : `${code}: `}${message}; ${next}`,
    );
  };
}

/** Counts the failure records an error output wrote. */
function countFailures(out: ErrorOutput, add: (n: number) => void): ErrorOutput {
  return {
    name: out.name,
    ...(out.retryDurationMs === undefined ? {} : { retryDurationMs: out.retryDurationMs }),
    buildFailures: (failures, type, context) => out.buildFailures(failures, type, context),
    send: (request, attempt) =>
      from(out.send(request, attempt)).pipe(
        tap((outcome) => add(request.items.length - (outcome.status === 'partial' ? outcome.failed.length : 0))),
      ),
  };
}

/** A local directory stands for an S3 bucket: its metrics carry S3's names (`DeliveryToS3.*`, `BackupToS3.*`). */
function firehoseNames(sink: MetricSink | undefined): MetricSink | undefined {
  if (sink === undefined) return undefined;
  return (metric, value, unit) => sink(metric.replace(/^(DeliveryTo|BackupTo)Directory\./, '$1S3.'), value, unit);
}

function checkTags(tags: unknown): void {
  if (tags === undefined || tags === null) return;
  if (!Array.isArray(tags) || tags.length > 50)
    throw InvalidConfigurationError.invalid('Tags', tags, 'a list of at most 50 { Key, Value }');
  tags.forEach((tag: unknown, i) => {
    const t = checkFields(tag, `Tags[${i}]`, { supported: ['Key', 'Value'], required: ['Key'] });
    configString(t.Key, `Tags[${i}].Key`, { minLength: 1, maxLength: 128, description: '1 to 128 characters' });
    configString(t.Value, `Tags[${i}].Value`, { maxLength: 256, description: 'at most 256 characters' });
  });
}
