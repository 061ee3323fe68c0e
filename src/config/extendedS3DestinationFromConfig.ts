import type { OperatorFunction } from 'rxjs';
import type { ErrorOutput } from '../destinations/Destination.js';
import { compilePrefix } from '../keys/compilePrefix.js';
import { bufferByPartition } from '../processing/bufferByPartition.js';
import type { Buffering } from './bufferingFromHints.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { backupFromConfig } from './backupFromConfig.js';
import { bucketFromConfig } from './bucketFromConfig.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configEnum } from './configEnum.js';
import { configNumber } from './configNumber.js';
import { configString } from './configString.js';
import type { DestinationPlan } from './DestinationPlan.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { processingFromConfig } from './processingFromConfig.js';
import { DYNAMIC_PARTITIONING_BUFFERING, FORMAT_CONVERSION_BUFFERING, RETRY_DURATION, S3_BUFFERING } from './ranges.js';
import { dataFormatConversionFromConfig } from '../processing/parquet/dataFormatConversionFromConfig.js';
import { S3_DESTINATION_FIELDS } from './s3DestinationFromConfig.js';

/**
 * Maps an `ExtendedS3DestinationConfiguration` (or, with `extended: false`, the older
 * `S3DestinationConfiguration`) to a destination plan: the bucket (S3, or `<dataDir>/<bucket>/`) with
 * `Prefix`, `ErrorOutputPrefix`, `BufferingHints`, `CompressionFormat`, `EncryptionConfiguration`,
 * `FileExtension`; `ProcessingConfiguration` (Lambda, AppendDelimiterToRecord); `S3BackupMode` with
 * `S3BackupConfiguration` (a source record backup); `DynamicPartitioningConfiguration` (partition keys from
 * the Lambda processor's metadata). What fails (processing-failed records, undeliverable batches) goes to
 * the same bucket under the error output prefix. `DataFormatConversionConfiguration` to Parquet with an
 * explicit schema (`SchemaConfiguration.Columns`, see `dataFormatConversionFromConfig`): Parquet objects,
 * a buffer of 64–128 MiB, records that do not convert under `format-conversion-failed/`. A
 * `CustomTimeZone` other than UTC is refused by name.
 *
 * ## Example
 * ```ts
 * const plan = extendedS3DestinationFromConfig(input.ExtendedS3DestinationConfiguration, 'ExtendedS3DestinationConfiguration', ctx);
 * ```
 */
export function extendedS3DestinationFromConfig(config: unknown, path: string, ctx: ConfigContext, extended = true): DestinationPlan {
  const fields = checkFields(config, path, {
    supported: extended
      ? [
          ...S3_DESTINATION_FIELDS,
          'ProcessingConfiguration',
          'S3BackupMode',
          'S3BackupConfiguration',
          'DynamicPartitioningConfiguration',
          'FileExtension',
          'CustomTimeZone',
          'DataFormatConversionConfiguration',
        ]
      : S3_DESTINATION_FIELDS,
    required: ['BucketARN'],
  });
  const conversion = dataFormatConversionFromConfig(
    fields.DataFormatConversionConfiguration,
    `${path}.DataFormatConversionConfiguration`,
    ctx,
  );
  const timeZone = configString(fields.CustomTimeZone, `${path}.CustomTimeZone`, {
    maxLength: 50,
    description: 'a time zone name of at most 50 characters',
  });
  if (timeZone !== undefined && timeZone !== 'UTC' && timeZone !== '') {
    throw new InvalidConfigurationError(
      `${path}.CustomTimeZone`,
      `${path}.CustomTimeZone ${timeZone} is not supported yet (keys are rendered in UTC)`,
    );
  }
  const fileExtension = configString(fields.FileExtension, `${path}.FileExtension`, {
    maxLength: 128,
    description: 'at most 128 characters',
  });
  const partitioning = dynamicPartitioningOf(fields.DynamicPartitioningConfiguration, `${path}.DynamicPartitioningConfiguration`);

  const bucket = bucketFromConfig(fields, path, ctx, {
    ranges: partitioning.enabled ? DYNAMIC_PARTITIONING_BUFFERING : conversion !== undefined ? FORMAT_CONVERSION_BUFFERING : S3_BUFFERING,
    ...(fileExtension === undefined ? {} : { fileExtension }),
    ...(conversion === undefined ? {} : { dataFormatConversion: conversion }),
    dynamicPartitioning: partitioning.enabled,
  });
  const errorOutput = ctx.counted(bucket.destination);

  const stages: Array<OperatorFunction<FirehoseRecord, FirehoseRecord>> = [];
  const parts: string[] = [];
  const backupMode = configEnum(fields.S3BackupMode, `${path}.S3BackupMode`, ['Disabled', 'Enabled']);
  if (backupMode === 'Enabled' && fields.S3BackupConfiguration === undefined) {
    throw InvalidConfigurationError.invalid(`${path}.S3BackupConfiguration`, undefined, 'present when S3BackupMode is Enabled');
  }
  if (fields.S3BackupConfiguration !== undefined) {
    // Checked either way; it runs only when enabled.
    const backup = backupFromConfig(fields.S3BackupConfiguration, `${path}.S3BackupConfiguration`, ctx);
    if (backupMode === 'Enabled') {
      stages.push(backup.operator);
      parts.push(`backup → ${backup.location}`);
    }
  }
  const processing = processingFromConfig(fields.ProcessingConfiguration, `${path}.ProcessingConfiguration`, ctx, errorOutput);
  if (partitioning.enabled && !processing.lambda && !processing.metadataExtraction) {
    throw InvalidConfigurationError.invalid(
      `${path}.DynamicPartitioningConfiguration.Enabled`,
      true,
      'true only with an enabled Lambda or MetadataExtraction processor (partition keys come from one of them)',
    );
  }
  if (processing.metadataExtraction && !partitioning.enabled) {
    throw InvalidConfigurationError.invalid(
      `${path}.DynamicPartitioningConfiguration.Enabled`,
      partitioning.enabled,
      'true when a MetadataExtraction processor runs (its keys are for dynamic partitioning)',
    );
  }
  if (
    partitioning.enabled &&
    typeof fields.Prefix === 'string' &&
    fields.Prefix.includes('!{partitionKeyFromQuery:') &&
    !processing.metadataExtraction
  ) {
    throw InvalidConfigurationError.invalid(
      `${path}.Prefix`,
      fields.Prefix,
      'a prefix without !{partitionKeyFromQuery:…} unless a MetadataExtraction processor runs',
    );
  }
  stages.push(...processing.stages);
  parts.push(...processing.descriptions);
  if (conversion !== undefined) parts.push('Parquet');
  parts.push(`${bucket.location}${partitioning.enabled ? ' (dynamic partitioning)' : ''}`);
  return {
    description: parts.join(' → '),
    stages,
    buffering: bucket.buffering,
    destination: bucket.destination,
    errorOutput,
    ...(partitioning.enabled ? { retryDurationMs: partitioning.retryDurationS * 1000 } : {}),
    ...(partitioning.enabled ? { buffer: partitionedBuffer(fields.Prefix, bucket.buffering, errorOutput, ctx) } : {}),
  };
}

function dynamicPartitioningOf(config: unknown, path: string): { enabled: boolean; retryDurationS: number } {
  if (config === undefined || config === null) return { enabled: false, retryDurationS: RETRY_DURATION.default };
  const fields = checkFields(config, path, { supported: ['Enabled', 'RetryOptions'] });
  if (fields.Enabled !== undefined && typeof fields.Enabled !== 'boolean')
    throw InvalidConfigurationError.invalid(`${path}.Enabled`, fields.Enabled, 'true or false');
  let retryDurationS: number = RETRY_DURATION.default;
  if (fields.RetryOptions !== undefined) {
    const retry = checkFields(fields.RetryOptions, `${path}.RetryOptions`, { supported: ['DurationInSeconds'] });
    retryDurationS = configNumber(retry.DurationInSeconds, `${path}.RetryOptions.DurationInSeconds`, RETRY_DURATION);
  }
  return { enabled: fields.Enabled === true, retryDurationS };
}

/** One buffer per partition of the bucket's prefix, as Firehose keeps with dynamic partitioning. */
function partitionedBuffer(
  prefix: unknown,
  buffering: Buffering,
  errorOutput: ErrorOutput,
  ctx: ConfigContext,
): OperatorFunction<FirehoseRecord, FirehoseRecord[]> {
  // The bucket already checked the prefix with the same rules; this copy only tells partitions apart.
  const layout = compilePrefix({
    component: 'dynamic partitioning',
    prefix: typeof prefix === 'string' ? prefix : '',
    errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    dynamicPartitioning: true,
  });
  return bufferByPartition<FirehoseRecord>({
    partitionOf: (record) => {
      try {
        return layout.partitionIdFor(record);
      } catch {
        return INVALID_PARTITION; // the destination sends these records to the error output, each with why
      }
    },
    maxBytes: buffering.maxBytes,
    maxMs: buffering.maxMs,
    // All partitions together hold at most one buffer's worth (the fullest go out first): less than the
    // source's budget, which is twice the buffers (sourceBudgetFor). Behind a Lambda or MetadataExtraction
    // processor this buffer is not told that reading waits, so holding the whole budget in many small
    // partitions would wait for IntervalInSeconds.
    maxBufferedBytes: buffering.maxBytes,
    errorOutput,
    ...(ctx.scheduler === undefined ? {} : { scheduler: ctx.scheduler }),
  });
}

/** The partition of records whose keys do not fill the prefix (partition ids are otherwise JSON arrays). */
const INVALID_PARTITION = 'invalid';
