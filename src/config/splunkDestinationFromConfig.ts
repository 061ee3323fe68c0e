import type { OperatorFunction } from 'rxjs';
import { splunkHecDestination } from '../destinations/splunk/index.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { asConfigurationError } from './asConfigurationError.js';
import { backupFromConfig } from './backupFromConfig.js';
import { bufferingFromHints } from './bufferingFromHints.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configEnum } from './configEnum.js';
import { configNumber } from './configNumber.js';
import { configString } from './configString.js';
import type { DestinationPlan } from './DestinationPlan.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { processingFromConfig } from './processingFromConfig.js';
import { BACKUP_BUFFERING, RETRY_DURATION, S3_BUFFERING, type BufferingRanges } from './ranges.js';
import { s3DestinationFromConfig } from './s3DestinationFromConfig.js';

/** Splunk's buffering hints: 1–5 MiB, default 5; 0–60 s, default 60. */
export const SPLUNK_BUFFERING_RANGES = {
  size: { min: 1, max: 5, default: 5, unit: 'MiB' },
  interval: { min: 0, max: 60, default: 60, unit: 'seconds' },
} as const satisfies BufferingRanges;

/** `HECAcknowledgmentTimeoutInSeconds`: 180–600, default 180. */
export const HEC_ACK_TIMEOUT = { min: 180, max: 600, default: 180, unit: 'seconds' } as const;

const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/**
 * Maps a `SplunkDestinationConfiguration` to a destination plan: `splunkHecDestination` with `HECEndpoint`,
 * `HECEndpointType` (`Raw` or `Event`), `HECToken`, `HECAcknowledgmentTimeoutInSeconds` (180–600, default
 * 180), `RetryOptions.DurationInSeconds` (0–7200, default 300) and `BufferingHints` (1–5 MiB, 0–60 s; default
 * 5 MiB, 60 s); `ProcessingConfiguration`; `S3Configuration`, the bucket of `splunk-failed` and
 * `processing-failed` records, which with `S3BackupMode: AllEvents` also receives every source record
 * (`FailedEventsOnly`, the default, sends it only what failed). `SecretsManagerConfiguration` is refused by
 * name when enabled. Differs: an `http:` endpoint is accepted too (Firehose requires `https:`), for a local HEC.
 *
 * ## Example
 * ```ts
 * const plan = splunkDestinationFromConfig(input.SplunkDestinationConfiguration, 'SplunkDestinationConfiguration', ctx);
 * ```
 */
export function splunkDestinationFromConfig(config: unknown, path: string, ctx: ConfigContext): DestinationPlan {
  const fields = checkFields(config, path, {
    supported: [
      'HECEndpoint',
      'HECEndpointType',
      'HECToken',
      'HECAcknowledgmentTimeoutInSeconds',
      'RetryOptions',
      'S3BackupMode',
      'S3Configuration',
      'ProcessingConfiguration',
      'CloudWatchLoggingOptions',
      'BufferingHints',
      'SecretsManagerConfiguration',
      'RoleARN',
    ],
    required: ['HECEndpoint', 'HECEndpointType', 'S3Configuration'],
  });
  const endpoint = configString(fields.HECEndpoint, `${path}.HECEndpoint`, {
    minLength: 0,
    maxLength: 2048,
    pattern: /^https?:\/\//,
    description: 'an https:// URL (or http:// for a local HEC) of at most 2048 characters',
  })!;
  const endpointType = configEnum(fields.HECEndpointType, `${path}.HECEndpointType`, ['Raw', 'Event']);
  if (fields.SecretsManagerConfiguration !== undefined) {
    const secrets = checkFields(fields.SecretsManagerConfiguration, `${path}.SecretsManagerConfiguration`, {
      supported: ['SecretARN', 'RoleARN', 'Enabled'],
      required: ['Enabled'],
    });
    if (secrets.Enabled !== false)
      throw InvalidConfigurationError.unsupported(`${path}.SecretsManagerConfiguration`, 'give the token in HECToken');
  }
  if (fields.HECToken === undefined || fields.HECToken === null)
    throw InvalidConfigurationError.invalid(`${path}.HECToken`, undefined, 'given: the HEC token');
  if (typeof fields.HECToken !== 'string')
    throw InvalidConfigurationError.invalid(
      `${path}.HECToken`,
      `a value of type ${typeof fields.HECToken}`,
      'a string of 0 to 2048 characters',
    );
  const token = fields.HECToken;
  configString(fields.RoleARN, `${path}.RoleARN`, { minLength: 1, maxLength: 512, pattern: ROLE_ARN, description: 'an IAM role ARN' });
  if (fields.CloudWatchLoggingOptions !== undefined) {
    checkFields(fields.CloudWatchLoggingOptions, `${path}.CloudWatchLoggingOptions`, {
      supported: ['Enabled', 'LogGroupName', 'LogStreamName'],
    });
  }
  const ackTimeoutS = configNumber(fields.HECAcknowledgmentTimeoutInSeconds, `${path}.HECAcknowledgmentTimeoutInSeconds`, HEC_ACK_TIMEOUT);
  let retryDurationS: number = RETRY_DURATION.default;
  if (fields.RetryOptions !== undefined) {
    const retry = checkFields(fields.RetryOptions, `${path}.RetryOptions`, { supported: ['DurationInSeconds'] });
    retryDurationS = configNumber(retry.DurationInSeconds, `${path}.RetryOptions.DurationInSeconds`, RETRY_DURATION);
  }
  const buffering = bufferingFromHints(fields.BufferingHints, `${path}.BufferingHints`, SPLUNK_BUFFERING_RANGES);
  const backupMode = configEnum(fields.S3BackupMode, `${path}.S3BackupMode`, ['FailedEventsOnly', 'AllEvents']);
  const bucket = s3DestinationFromConfig(
    fields.S3Configuration,
    `${path}.S3Configuration`,
    ctx,
    backupMode === 'AllEvents' ? BACKUP_BUFFERING : S3_BUFFERING,
  );
  const errorOutput = ctx.counted(bucket.destination);

  const destination = asConfigurationError(
    () =>
      splunkHecDestination({
        endpoint,
        endpointType,
        token,
        ackTimeoutMs: ackTimeoutS * 1000,
        retryDurationMs: retryDurationS * 1000,
        ...(ctx.metrics === undefined ? {} : { metrics: ctx.metrics }),
      }),
    // The token is never shown: the destination's message describes it without its value.
    { endpoint: `${path}.HECEndpoint`, token: `${path}.HECToken` },
  );

  const stages: Array<OperatorFunction<FirehoseRecord, FirehoseRecord>> = [];
  const parts: string[] = [];
  if (backupMode === 'AllEvents') {
    const backup = backupFromConfig(fields.S3Configuration, `${path}.S3Configuration`, ctx);
    stages.push(backup.operator);
    parts.push(`backup → ${backup.location}`);
  }
  const processing = processingFromConfig(fields.ProcessingConfiguration, `${path}.ProcessingConfiguration`, ctx, errorOutput);
  stages.push(...processing.stages);
  parts.push(...processing.descriptions, `Splunk ${endpointType} ${new URL(endpoint).origin} (failures → ${bucket.location})`);
  return { description: parts.join(' → '), stages, buffering, destination, errorOutput, retryDurationMs: retryDurationS * 1000 };
}
