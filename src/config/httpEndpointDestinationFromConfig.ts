import type { OperatorFunction } from 'rxjs';
import { teeBackup } from '../../operators/teeBackup.js';
import { httpEndpointDestination } from '../destinations/http/index.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { asConfigurationError } from './asConfigurationError.js';
import { bufferingFromHints } from './bufferingFromHints.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configEnum } from './configEnum.js';
import { configLoggingOptions } from './configLoggingOptions.js';
import { configNumber } from './configNumber.js';
import { configRoleArn } from './configRoleArn.js';
import { configString } from './configString.js';
import type { DestinationPlan } from './DestinationPlan.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { processingFromConfig } from './processingFromConfig.js';
import { BACKUP_BUFFERING, HTTP_ENDPOINT_BUFFERING_RANGES, RETRY_DURATION, S3_BUFFERING } from './ranges.js';
import { s3DestinationFromConfig } from './s3DestinationFromConfig.js';

/**
 * Maps an `HttpEndpointDestinationConfiguration` to a destination plan: `httpEndpointDestination` with
 * `EndpointConfiguration` (`Url`, `Name`, `AccessKey`), `RequestConfiguration` (`ContentEncoding`,
 * `CommonAttributes`), `RetryOptions.DurationInSeconds` (0–7200, default 300) and `BufferingHints` (1–64 MiB,
 * 0–900 s; default 5 MiB, 300 s); `ProcessingConfiguration`; `S3Configuration`, the bucket of
 * `http-endpoint-failed` and `processing-failed` records, which with `S3BackupMode: AllData` also receives every
 * source record (`FailedDataOnly`, the default, sends it only what failed). `SecretsManagerConfiguration` is
 * refused by name when enabled. Differs: an `http:` URL is accepted too (Firehose requires `https:`), for
 * local endpoints.
 *
 * ## Example
 * ```ts
 * const plan = httpEndpointDestinationFromConfig(input.HttpEndpointDestinationConfiguration, 'HttpEndpointDestinationConfiguration', ctx);
 * ```
 */
export function httpEndpointDestinationFromConfig(config: unknown, path: string, ctx: ConfigContext): DestinationPlan {
  const fields = checkFields(config, path, {
    supported: [
      'EndpointConfiguration',
      'BufferingHints',
      'CloudWatchLoggingOptions',
      'RequestConfiguration',
      'ProcessingConfiguration',
      'RoleARN',
      'RetryOptions',
      'S3BackupMode',
      'S3Configuration',
      'SecretsManagerConfiguration',
    ],
    required: ['EndpointConfiguration', 'S3Configuration'],
  });
  const endpoint = checkFields(fields.EndpointConfiguration, `${path}.EndpointConfiguration`, {
    supported: ['Url', 'Name', 'AccessKey'],
    required: ['Url'],
  });
  const url = configString(endpoint.Url, `${path}.EndpointConfiguration.Url`, {
    minLength: 1,
    maxLength: 1000,
    pattern: /^https?:\/\//,
    description: 'an https:// URL (or http:// for a local endpoint) of at most 1000 characters',
  })!;
  const name = configString(endpoint.Name, `${path}.EndpointConfiguration.Name`, {
    minLength: 1,
    maxLength: 256,
    description: '1 to 256 characters',
  });
  const accessKey = configString(endpoint.AccessKey, `${path}.EndpointConfiguration.AccessKey`, {
    maxLength: 4096,
    description: 'at most 4096 characters',
  });
  if (fields.SecretsManagerConfiguration !== undefined) {
    const secrets = checkFields(fields.SecretsManagerConfiguration, `${path}.SecretsManagerConfiguration`, {
      supported: ['SecretARN', 'RoleARN', 'Enabled'],
      required: ['Enabled'],
    });
    if (secrets.Enabled !== false)
      throw InvalidConfigurationError.unsupported(`${path}.SecretsManagerConfiguration`, 'give the key in EndpointConfiguration.AccessKey');
  }
  configRoleArn(fields.RoleARN, `${path}.RoleARN`);
  configLoggingOptions(fields.CloudWatchLoggingOptions, `${path}.CloudWatchLoggingOptions`);
  let contentEncoding: 'NONE' | 'GZIP' = 'NONE';
  let commonAttributes: Record<string, string> | undefined;
  if (fields.RequestConfiguration !== undefined) {
    const request = checkFields(fields.RequestConfiguration, `${path}.RequestConfiguration`, {
      supported: ['ContentEncoding', 'CommonAttributes'],
    });
    contentEncoding = configEnum(request.ContentEncoding, `${path}.RequestConfiguration.ContentEncoding`, ['NONE', 'GZIP']);
    commonAttributes = attributesOf(request.CommonAttributes, `${path}.RequestConfiguration.CommonAttributes`);
  }
  let retryDurationS: number = RETRY_DURATION.default;
  if (fields.RetryOptions !== undefined) {
    const retry = checkFields(fields.RetryOptions, `${path}.RetryOptions`, { supported: ['DurationInSeconds'] });
    retryDurationS = configNumber(retry.DurationInSeconds, `${path}.RetryOptions.DurationInSeconds`, RETRY_DURATION);
  }
  const buffering = bufferingFromHints(fields.BufferingHints, `${path}.BufferingHints`, HTTP_ENDPOINT_BUFFERING_RANGES);
  const backupMode = configEnum(fields.S3BackupMode, `${path}.S3BackupMode`, ['FailedDataOnly', 'AllData']);
  const bucket = s3DestinationFromConfig(
    fields.S3Configuration,
    `${path}.S3Configuration`,
    ctx,
    backupMode === 'AllData' ? BACKUP_BUFFERING : S3_BUFFERING,
  );
  const errorOutput = ctx.counted(bucket.destination);

  const destination = asConfigurationError(
    () =>
      httpEndpointDestination<FirehoseRecord>({
        url,
        ...(accessKey === undefined || accessKey === '' ? {} : { accessKey }),
        ...(commonAttributes === undefined ? {} : { commonAttributes }),
        contentEncoding,
        retryDurationMs: retryDurationS * 1000,
        streamName: ctx.streamName,
        region: ctx.region,
        accountId: ctx.accountId,
      }),
    {
      url: `${path}.EndpointConfiguration.Url`,
      accessKey: `${path}.EndpointConfiguration.AccessKey`,
      commonAttributes: `${path}.RequestConfiguration.CommonAttributes`,
      region: 'environment.region',
      accountId: 'environment.accountId',
    },
  );

  const stages: Array<OperatorFunction<FirehoseRecord, FirehoseRecord>> = [];
  const parts: string[] = [];
  if (backupMode === 'AllData') {
    stages.push(
      teeBackup<FirehoseRecord>(bucket.destination, {
        ...bucket.buffering,
        errorOutput,
        onResult: (result) => ctx.onBackupResult(result),
        ...(ctx.scheduler === undefined ? {} : { scheduler: ctx.scheduler }),
        ...(ctx.metrics === undefined ? {} : { metrics: ctx.metrics }),
      }),
    );
    parts.push(`backup → ${bucket.location}`);
  }
  const processing = processingFromConfig(fields.ProcessingConfiguration, `${path}.ProcessingConfiguration`, ctx, errorOutput);
  stages.push(...processing.stages);
  // The URL without its query, which may hold a key.
  const shown = url.replace(/[?#].*$/, '');
  parts.push(...processing.descriptions, `${name === undefined ? '' : `${name} `}${shown} (failures → ${bucket.location})`);
  return { description: parts.join(' → '), stages, buffering, destination, errorOutput, retryDurationMs: retryDurationS * 1000 };
}

/** `[{ AttributeName, AttributeValue }]` → an object; at most 50, names 1–256, values 0–1024 characters. */
function attributesOf(list: unknown, path: string): Record<string, string> | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list) || list.length > 50)
    throw InvalidConfigurationError.invalid(path, list, 'a list of at most 50 { AttributeName, AttributeValue }');
  const out: Record<string, string> = {};
  list.forEach((attribute: unknown, i) => {
    const at = `${path}[${i}]`;
    const a = checkFields(attribute, at, { supported: ['AttributeName', 'AttributeValue'], required: ['AttributeName', 'AttributeValue'] });
    const name = configString(a.AttributeName, `${at}.AttributeName`, {
      minLength: 1,
      maxLength: 256,
      description: '1 to 256 characters',
    })!;
    out[name] = configString(a.AttributeValue, `${at}.AttributeValue`, { maxLength: 1024, description: 'at most 1024 characters' })!;
  });
  return out;
}
