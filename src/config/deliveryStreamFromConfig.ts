import { resolve } from 'node:path';
import { asyncScheduler, from, Subject, tap, type Observable } from 'rxjs';
import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import { bufferBySizeOrTime } from '../../operators/bufferBySizeOrTime.js';
import { deliverTo } from '../../operators/deliverTo.js';
import type { ErrorOutput } from '../destinations/Destination.js';
import type { MetricSink } from '../metrics/MetricSink.js';
import { byteSizeOf } from '../records/byteSizeOf.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { asConfigurationError } from './asConfigurationError.js';
import { checkFields } from './checkFields.js';
import { clientsFor } from './clientsFor.js';
import type { ConfigContext } from './ConfigContext.js';
import { configString } from './configString.js';
import type { DeliveryStream, DeliveryStreamEnvironment, DeliveryStreamResult, DeliveryStreamSummary } from './DeliveryStream.js';
import { destinationFromConfig, DESTINATIONS_NOT_YET } from './destinationFromConfig.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { KINESIS_STREAM_ARN, sourceFromConfig } from './sourceFromConfig.js';

const TOP_LEVEL = [
  'DeliveryStreamName',
  'DeliveryStreamType',
  'DirectPutSourceConfiguration',
  'KinesisStreamSourceConfiguration',
  'S3DestinationConfiguration',
  'ExtendedS3DestinationConfiguration',
  'HttpEndpointDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'Tags',
];
const TOP_LEVEL_NOT_YET = ['DeliveryStreamEncryptionConfigurationInput', 'MSKSourceConfiguration', 'DatabaseSourceConfiguration', ...DESTINATIONS_NOT_YET];
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;

/**
 * Runs a delivery stream described by Firehose's own configuration: the input of `CreateDeliveryStream`
 * (what `aws firehose create-delivery-stream --cli-input-json` takes, and what CloudFormation and Terraform
 * render to), as a pipeline of rx-firehose's operators:
 *
 * ```
 * source (Direct PUT: environment.records | Kinesis stream: fromKinesisStream, checkpointed)
 *   → teeBackup (S3BackupMode)  → transformWithLambda (Lambda processor) → \n (AppendDelimiterToRecord)
 *   → bufferBySizeOrTime (BufferingHints) → deliverTo (S3 | <dataDir>/<bucket>/ | HTTP endpoint | Splunk HEC)
 *   → error output (the bucket's ErrorOutputPrefix, or the HTTP endpoint's or Splunk's S3Configuration)
 * ```
 *
 * Every field is mapped with Firehose's defaults and ranges (see docs/configuration.md); a field or value
 * rx-firehose does not support yet is refused by name, and a value out of range names the field, the value
 * and the range: both throw {@link InvalidConfigurationError} synchronously, before anything runs. Buckets
 * (`arn:aws:s3:::<bucket>`) are the directory `<dataDir>/<bucket>/` (same keys as in S3) unless the
 * environment has an S3 client or endpoint. Lambda processors run a local handler from
 * `environment.lambdaHandlers`, or invoke the function through the Lambda Invoke API.
 *
 * The stream runs at once. `results` tells each delivery; `done` resolves with a summary when the source
 * completed and everything was drained; `stop()` stops the source (a Kinesis stream it reads, or
 * `environment.records`), drains, saves the last checkpoints and resolves like `done`.
 *
 * ## Example
 * ```ts
 * import { deliveryStreamFromConfig, toRecords } from 'rx-firehose';
 * import { from } from 'rxjs';
 *
 * const stream = deliveryStreamFromConfig(
 *   {
 *     DeliveryStreamName: 'clicks',
 *     ExtendedS3DestinationConfiguration: {
 *       RoleARN: 'arn:aws:iam::123456789012:role/firehose',
 *       BucketARN: 'arn:aws:s3:::lake',
 *       Prefix: 'clicks/!{timestamp:yyyy/MM/dd}/',
 *       ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
 *       BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
 *       CompressionFormat: 'GZIP',
 *     },
 *   },
 *   { dataDir: './firehose-data', records: from(['{"a":1}\n', '{"a":2}\n']).pipe(toRecords()) },
 * );
 * const summary = await stream.done; // ./firehose-data/lake/clicks/2026/12/02/clicks-1-….gz
 * console.log(summary.deliveredRecords, summary.errorOutputRecords);
 * ```
 *
 * @param input A `CreateDeliveryStreamInput` (types from `@aws-sdk/client-firehose`, needed only to type it).
 * @param environment Where things are: data directory, records, clients or endpoints, local Lambda handlers, metrics, scheduler.
 * @returns The running delivery stream.
 * @throws {InvalidConfigurationError} for anything invalid or not supported yet, naming the field.
 */
export function deliveryStreamFromConfig(input: CreateDeliveryStreamInput, environment: DeliveryStreamEnvironment = {}): DeliveryStream {
  const top = checkFields(input, '', { supported: TOP_LEVEL, notYet: TOP_LEVEL_NOT_YET, required: ['DeliveryStreamName'] });
  const name = configString(top.DeliveryStreamName, 'DeliveryStreamName', { minLength: 1, maxLength: 64, pattern: STREAM_NAME, description: '1 to 64 characters of a–z, A–Z, 0–9, "_", "." and "-"' })!;
  checkTags(top.Tags);
  const region = environment.region ?? 'us-east-1';
  if (!REGION.test(region)) throw InvalidConfigurationError.invalid('environment.region', region, 'an AWS region name such as us-east-1');
  const accountId = environment.accountId ?? '000000000000';
  if (!ACCOUNT.test(accountId)) throw InvalidConfigurationError.invalid('environment.accountId', accountId, 'a 12-digit AWS account id');
  const scheduler = environment.scheduler;
  const clock = scheduler ?? asyncScheduler;

  const tally = { incomingRecords: 0, incomingBytes: 0, deliveredRecords: 0, deliveredBytes: 0, deliveredBatches: 0, errorOutputRecords: 0, backupRecords: 0 };
  const results = new Subject<DeliveryStreamResult>();
  const metrics = firehoseNames(environment.metrics);
  const clients = clientsFor(environment);
  const stop = new AbortController();
  const kinesisArn = (top.KinesisStreamSourceConfiguration as { KinesisStreamARN?: unknown } | undefined)?.KinesisStreamARN;

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
    counted: (out) => countFailures(out, (n) => (tally.errorOutputRecords += n)),
    onBackupResult: (result) => {
      tally.backupRecords += result.records.length - result.failed.length;
      results.next({ ...result, stage: 'backup' });
    },
  };

  let pipeline: Observable<unknown>;
  let source: ReturnType<typeof sourceFromConfig>;
  let description: string;
  try {
    source = sourceFromConfig(top, ctx, stop.signal);
    const plan = destinationFromConfig(top, ctx);
    description = `${source.description} → ${plan.description}`;
    const buffer = bufferBySizeOrTime<FirehoseRecord>({ ...plan.buffering, ...(scheduler === undefined ? {} : { scheduler }) });
    const deliver = asConfigurationError(
      () =>
        deliverTo<FirehoseRecord>(plan.destination, {
          errorOutput: plan.errorOutput,
          ...(plan.retryDurationMs === undefined ? {} : { retryDurationMs: plan.retryDurationMs }),
          ...(scheduler === undefined ? {} : { scheduler }),
          ...(metrics === undefined ? {} : { metrics }),
        }),
      {},
    );
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
    clients.destroy();
    throw err;
  }

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
      void saved.then((checkpointError) => {
        clients.destroy();
        results.complete();
        settle(summary(error ?? checkpointError ?? undefined));
      });
    };
    pipeline.subscribe({ error: (err: unknown) => finish(err), complete: () => finish() });
  });
  return {
    name,
    arn: ctx.streamArn,
    description,
    results: results.asObservable(),
    done,
    stop: () => {
      stop.abort();
      return done;
    },
  };
}

/** Counts the failure records an error output wrote. */
function countFailures(out: ErrorOutput, add: (n: number) => void): ErrorOutput {
  return {
    name: out.name,
    ...(out.retryDurationMs === undefined ? {} : { retryDurationMs: out.retryDurationMs }),
    writeFailures: (failures, type, attempt) => from(out.writeFailures(failures, type, attempt)).pipe(tap({ complete: () => add(failures.length) })),
  };
}

/** A local directory stands for an S3 bucket: its metrics carry S3's names (`DeliveryToS3.*`, `BackupToS3.*`). */
function firehoseNames(sink: MetricSink | undefined): MetricSink | undefined {
  if (sink === undefined) return undefined;
  return (metric, value, unit) => sink(metric.replace(/^(DeliveryTo|BackupTo)Directory\./, '$1S3.'), value, unit);
}

function checkTags(tags: unknown): void {
  if (tags === undefined || tags === null) return;
  if (!Array.isArray(tags) || tags.length > 50) throw InvalidConfigurationError.invalid('Tags', tags, 'a list of at most 50 { Key, Value }');
  tags.forEach((tag: unknown, i) => {
    const t = checkFields(tag, `Tags[${i}]`, { supported: ['Key', 'Value'], required: ['Key'] });
    configString(t.Key, `Tags[${i}].Key`, { minLength: 1, maxLength: 128, description: '1 to 128 characters' });
    configString(t.Value, `Tags[${i}].Value`, { maxLength: 256, description: 'at most 256 characters' });
  });
}
