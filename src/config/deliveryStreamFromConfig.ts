import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import type { DeliveryStream, DeliveryStreamEnvironment } from './DeliveryStream.js';
import { planDeliveryStream } from './planDeliveryStream.js';

/**
 * Runs a delivery stream described by Firehose's own configuration: the input of `CreateDeliveryStream`
 * (what `aws firehose create-delivery-stream --cli-input-json` takes, and what CloudFormation and Terraform
 * render to), as a pipeline of rx-firehose's operators:
 *
 * ```
 * source (Direct PUT: environment.records | Kinesis stream: fromKinesisStream, checkpointed)
 *   → teeBackup (S3BackupMode)  → transformWithLambda (Lambda processor) → \n (AppendDelimiterToRecord)
 *   → bufferBySizeOrTime (BufferingHints) → deliverTo (S3 | <dataDir>/<bucket>/ | HTTP endpoint)
 *   → error output (the bucket's ErrorOutputPrefix, or the HTTP endpoint's S3Configuration)
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
  return planDeliveryStream(input, environment).start();
}
