import { join } from 'node:path';
import { EMPTY, share, type Observable } from 'rxjs';
import { bufferBySizeOrTime } from '../../operators/bufferBySizeOrTime.js';
import { deliverTo } from '../../operators/deliverTo.js';
import { COMPRESSIONS, type Compression } from '../codecs/compression.js';
import { directoryDestination } from '../destinations/directory/index.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { CreateDeliveryStreamInput, PipelineEnvironment, PipelineHandle } from './pipelineTypes.js';

/** A configuration this pipeline cannot run; `field` is its path in the input. */
export class UnsupportedConfigurationError extends Error {
  override readonly name = 'InvalidConfigurationError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const S3_FIELDS = new Set(['RoleARN', 'BucketARN', 'Prefix', 'ErrorOutputPrefix', 'BufferingHints', 'CompressionFormat', 'EncryptionConfiguration', 'CloudWatchLoggingOptions', 'FileExtension']);

/**
 * The smallest pipeline for a direct-PUT stream: an S3 destination (`ExtendedS3DestinationConfiguration` or
 * `S3DestinationConfiguration`) written to `<dataDir>/<bucket>/` with Firehose's key layout, buffering hints
 * and compression. Any other field is refused by name. The server uses it when no other pipeline factory is
 * given.
 */
export function directoryPipeline(input: CreateDeliveryStreamInput, environment: PipelineEnvironment): PipelineHandle {
  const name = input.DeliveryStreamName;
  const field = input.ExtendedS3DestinationConfiguration !== undefined ? 'ExtendedS3DestinationConfiguration' : 'S3DestinationConfiguration';
  const s3 = input[field] as Record<string, unknown> | undefined;
  if (typeof s3 !== 'object' || s3 === null) throw new UnsupportedConfigurationError('ExtendedS3DestinationConfiguration', 'a destination is required; this server delivers to S3 (the data directory)');
  for (const key of Object.keys(input)) {
    if (!['DeliveryStreamName', 'DeliveryStreamType', 'Tags', 'DirectPutSourceConfiguration', field].includes(key)) throw new UnsupportedConfigurationError(key, 'is not supported');
  }
  for (const key of Object.keys(s3)) if (!S3_FIELDS.has(key)) throw new UnsupportedConfigurationError(`${field}.${key}`, 'is not supported');
  if ((input.DeliveryStreamType ?? 'DirectPut') !== 'DirectPut') throw new UnsupportedConfigurationError('DeliveryStreamType', 'only DirectPut is supported');
  const bucket = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/.exec(String(s3.BucketARN))?.[1];
  if (bucket === undefined) throw new UnsupportedConfigurationError(`${field}.BucketARN`, `must be arn:aws:s3:::<bucket>; got ${JSON.stringify(s3.BucketARN)}`);
  const hints = (s3.BufferingHints ?? {}) as { SizeInMBs?: unknown; IntervalInSeconds?: unknown };
  const sizeMiB = hints.SizeInMBs ?? 5;
  const intervalS = hints.IntervalInSeconds ?? 300;
  if (typeof sizeMiB !== 'number' || !Number.isInteger(sizeMiB) || sizeMiB < 1 || sizeMiB > 128) throw new UnsupportedConfigurationError(`${field}.BufferingHints.SizeInMBs`, `must be an integer 1–128; got ${JSON.stringify(sizeMiB)}`);
  if (typeof intervalS !== 'number' || !Number.isInteger(intervalS) || intervalS < 0 || intervalS > 900) throw new UnsupportedConfigurationError(`${field}.BufferingHints.IntervalInSeconds`, `must be an integer 0–900; got ${JSON.stringify(intervalS)}`);
  const compression = (s3.CompressionFormat ?? 'UNCOMPRESSED') as Compression;
  if (!(COMPRESSIONS as readonly string[]).includes(compression)) throw new UnsupportedConfigurationError(`${field}.CompressionFormat`, `must be one of ${COMPRESSIONS.join(', ')}; got ${JSON.stringify(compression)}`);
  const destination = directoryDestination<FirehoseRecord>({
    path: join(environment.dataDir, bucket),
    streamName: name,
    compression,
    ...(typeof s3.Prefix === 'string' && s3.Prefix !== '' ? { prefix: s3.Prefix } : {}),
    ...(typeof s3.ErrorOutputPrefix === 'string' && s3.ErrorOutputPrefix !== '' ? { errorOutputPrefix: s3.ErrorOutputPrefix } : {}),
    ...(typeof s3.FileExtension === 'string' ? { fileExtension: s3.FileExtension } : {}),
  });
  const arn = `arn:aws:firehose:${environment.region ?? 'us-east-1'}:${environment.accountId ?? '000000000000'}:deliverystream/${name}`;
  const records: Observable<FirehoseRecord> = environment.records ?? EMPTY;
  const results = records.pipe(
    bufferBySizeOrTime({ maxBytes: sizeMiB * 1_048_576, maxMs: intervalS * 1000, ...(environment.scheduler ? { scheduler: environment.scheduler } : {}) }),
    deliverTo(destination, { errorOutput: destination, ...(environment.metrics ? { metrics: environment.metrics } : {}), ...(environment.scheduler ? { scheduler: environment.scheduler } : {}) }),
    share(),
  );
  const done = new Promise<{ delivered: number; failed: number }>((resolve, reject) => {
    let delivered = 0;
    let failed = 0;
    results.subscribe({
      next: (r) => {
        delivered += r.records.length - r.failed.length;
        failed += r.failed.length;
      },
      error: reject,
      complete: () => resolve({ delivered, failed }),
    });
  });
  return { name, arn, results, done, stop: () => done };
}
