import type { OperatorFunction } from 'rxjs';
import { openSearchDestination, type OpenSearchDestinationOptions } from '../destinations/opensearch/index.js';
import {
  DOCUMENT_ID_FORMATS,
  INDEX_ROTATION_PERIODS,
  OPENSEARCH_BACKUP_MODES,
  type OpenSearchFlavour,
} from '../destinations/opensearch/options.js';
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
import { OPENSEARCH_BUFFERING_RANGES, RETRY_DURATION, S3_BUFFERING } from './ranges.js';
import { s3DestinationFromConfig } from './s3DestinationFromConfig.js';

/** The three configurations of Firehose's bulk-indexing destinations, and which flavour of `openSearchDestination` each is. */
export const OPENSEARCH_CONFIGURATIONS = {
  AmazonopensearchserviceDestinationConfiguration: 'AmazonOpenSearchService',
  ElasticsearchDestinationConfiguration: 'Elasticsearch',
  AmazonOpenSearchServerlessDestinationConfiguration: 'AmazonOpenSearchServerless',
} as const satisfies Record<string, OpenSearchFlavour>;
export type OpenSearchConfiguration = keyof typeof OPENSEARCH_CONFIGURATIONS;

const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/;
/** Hosts of AWS's OpenSearch endpoints: requests to them are signed. */
const AWS_HOST = /\.(?:es|aoss)\.amazonaws\.com(?:\.cn)?$/;

/**
 * Maps an `AmazonopensearchserviceDestinationConfiguration`, the legacy `ElasticsearchDestinationConfiguration`
 * or an `AmazonOpenSearchServerlessDestinationConfiguration` to a destination plan with `openSearchDestination`:
 *
 * - `DomainARN` (resolved with `DescribeDomain` through `environment.openSearchClient`, or a client built for
 *   `endpoints.opensearch`) or `ClusterEndpoint`; Serverless: `CollectionEndpoint`;
 * - `IndexName` (1–80), `TypeName` (0–100), `IndexRotationPeriod` (default `OneDay`; none for Serverless),
 *   `DocumentIdOptions.DefaultDocumentIdFormat` (default `FIREHOSE_DEFAULT`);
 * - `BufferingHints` (1–100 MiB, 0–900 s; default 5 MiB, 300 s), `RetryOptions.DurationInSeconds` (0–7200,
 *   default 300);
 * - `S3Configuration`, the bucket of `AmazonOpenSearchService-failed` (`elasticsearch-failed`,
 *   `AmazonOpenSearchServerless-failed`) and `processing-failed` records; with `S3BackupMode: AllDocuments`
 *   it also receives every source record (`FailedDocumentsOnly`, the default, only what failed);
 * - `ProcessingConfiguration`. `RoleARN` is checked; `VpcConfiguration` and `CloudWatchLoggingOptions` are
 *   accepted and have no effect (rx-firehose connects from where it runs, and logs nothing to CloudWatch).
 *
 * Requests are signed with SigV4 (service `es`, or `aoss` for Serverless) for a domain ARN, a collection and
 * any AWS endpoint, unless `environment.openSearchAuth` says otherwise; other endpoints get no authentication.
 *
 * ## Example
 * ```ts
 * const plan = openSearchDestinationFromConfig(input.AmazonopensearchserviceDestinationConfiguration, 'AmazonopensearchserviceDestinationConfiguration', ctx);
 * ```
 */
export function openSearchDestinationFromConfig(config: unknown, path: OpenSearchConfiguration, ctx: ConfigContext): DestinationPlan {
  const flavour = OPENSEARCH_CONFIGURATIONS[path];
  const serverless = flavour === 'AmazonOpenSearchServerless';
  const common = [
    'RoleARN',
    'IndexName',
    'BufferingHints',
    'RetryOptions',
    'S3BackupMode',
    'S3Configuration',
    'ProcessingConfiguration',
    'CloudWatchLoggingOptions',
    'VpcConfiguration',
  ];
  const fields = checkFields(config, path, {
    supported: serverless
      ? [...common, 'CollectionEndpoint']
      : [...common, 'DomainARN', 'ClusterEndpoint', 'TypeName', 'IndexRotationPeriod', 'DocumentIdOptions'],
    required: ['RoleARN', 'IndexName', 'S3Configuration'],
  });
  configString(fields.RoleARN, `${path}.RoleARN`, { minLength: 1, maxLength: 512, pattern: ROLE_ARN, description: 'an IAM role ARN' });
  if (fields.CloudWatchLoggingOptions !== undefined)
    checkFields(fields.CloudWatchLoggingOptions, `${path}.CloudWatchLoggingOptions`, {
      supported: ['Enabled', 'LogGroupName', 'LogStreamName'],
    });
  if (fields.VpcConfiguration !== undefined)
    checkFields(fields.VpcConfiguration, `${path}.VpcConfiguration`, {
      supported: ['SubnetIds', 'RoleARN', 'SecurityGroupIds'],
      required: ['SubnetIds', 'RoleARN', 'SecurityGroupIds'],
    });

  const endpointField = serverless ? 'CollectionEndpoint' : 'ClusterEndpoint';
  const endpoint = configString(fields[endpointField], `${path}.${endpointField}`, {
    minLength: 1,
    maxLength: 512,
    pattern: /^https?:\/\//,
    description: 'an https:// URL (or http:// for a local cluster) of at most 512 characters',
  });
  const domainArn = configString(fields.DomainARN, `${path}.DomainARN`, {
    minLength: 1,
    maxLength: 512,
    description: 'an OpenSearch Service domain ARN',
  });
  if (serverless && endpoint === undefined) throw InvalidConfigurationError.invalid(`${path}.CollectionEndpoint`, undefined, 'present');
  if (!serverless && (endpoint === undefined) === (domainArn === undefined)) {
    throw InvalidConfigurationError.invalid(`${path}.DomainARN`, domainArn, `given, or else ClusterEndpoint, but not both`);
  }
  const indexName = configString(fields.IndexName, `${path}.IndexName`, {
    minLength: 1,
    maxLength: 80,
    description: '1 to 80 characters',
  })!;
  const typeName = configString(fields.TypeName, `${path}.TypeName`, { maxLength: 100, description: 'at most 100 characters' });
  const indexRotationPeriod = serverless
    ? 'NoRotation'
    : configEnum(fields.IndexRotationPeriod ?? 'OneDay', `${path}.IndexRotationPeriod`, INDEX_ROTATION_PERIODS);
  let documentIdFormat: (typeof DOCUMENT_ID_FORMATS)[number] = 'FIREHOSE_DEFAULT';
  if (fields.DocumentIdOptions !== undefined) {
    const ids = checkFields(fields.DocumentIdOptions, `${path}.DocumentIdOptions`, {
      supported: ['DefaultDocumentIdFormat'],
      required: ['DefaultDocumentIdFormat'],
    });
    documentIdFormat = configEnum(ids.DefaultDocumentIdFormat, `${path}.DocumentIdOptions.DefaultDocumentIdFormat`, DOCUMENT_ID_FORMATS);
  }
  let retryDurationS: number = RETRY_DURATION.default;
  if (fields.RetryOptions !== undefined) {
    const retry = checkFields(fields.RetryOptions, `${path}.RetryOptions`, { supported: ['DurationInSeconds'] });
    retryDurationS = configNumber(retry.DurationInSeconds, `${path}.RetryOptions.DurationInSeconds`, RETRY_DURATION);
  }
  const buffering = bufferingFromHints(fields.BufferingHints, `${path}.BufferingHints`, OPENSEARCH_BUFFERING_RANGES);
  const backupMode = configEnum(fields.S3BackupMode, `${path}.S3BackupMode`, OPENSEARCH_BACKUP_MODES);
  const bucket = s3DestinationFromConfig(fields.S3Configuration, `${path}.S3Configuration`, ctx, S3_BUFFERING);
  const errorOutput = ctx.counted(bucket.destination);

  const signed = domainArn !== undefined || serverless || (endpoint !== undefined && AWS_HOST.test(hostOf(endpoint)));
  const auth = ctx.environment.openSearchAuth ?? (signed ? ({ type: 'sigv4' } as const) : 'none');
  const domainRegion = domainArn === undefined ? undefined : /^arn:[a-z-]+:es:([a-z0-9-]+):/.exec(domainArn)?.[1];
  const options: OpenSearchDestinationOptions = {
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(domainArn === undefined ? {} : { domainArn, openSearchClient: ctx.clients.openSearch(domainRegion ?? ctx.region) }),
    indexName,
    indexRotationPeriod,
    ...(typeName === undefined || typeName === '' ? {} : { typeName }),
    documentIdFormat,
    retryDurationMs: retryDurationS * 1000,
    buffering,
    backupMode,
    flavour,
    ...(auth === 'none' ? {} : { auth }),
  };
  const destination = asConfigurationError(() => openSearchDestination(options), {
    endpoint: `${path}.${endpointField}`,
    domainArn: `${path}.DomainARN`,
    indexName: `${path}.IndexName`,
    typeName: `${path}.TypeName`,
    'auth.region': 'environment.region',
    'auth.service': 'environment.openSearchAuth',
    'auth.credentials': 'environment.openSearchAuth',
    'auth.type': 'environment.openSearchAuth',
    'auth.username': 'environment.openSearchAuth',
    'auth.password': 'environment.openSearchAuth',
  });

  const stages: Array<OperatorFunction<FirehoseRecord, FirehoseRecord>> = [];
  const parts: string[] = [];
  if (backupMode === 'AllDocuments') {
    // Every source record also goes to the S3Configuration bucket, untransformed, with the backup's buffering rules.
    const backup = backupFromConfig(fields.S3Configuration, `${path}.S3Configuration`, ctx);
    stages.push(backup.operator);
    parts.push(`backup → ${backup.location}`);
  }
  const processing = processingFromConfig(fields.ProcessingConfiguration, `${path}.ProcessingConfiguration`, ctx, errorOutput);
  stages.push(...processing.stages);
  parts.push(
    ...processing.descriptions,
    `${flavour} ${endpoint ?? domainArn} index ${indexName}${indexRotationPeriod === 'NoRotation' ? '' : ` (${indexRotationPeriod})`} (failures → ${bucket.location})`,
  );
  return {
    description: parts.join(' → '),
    stages,
    buffering,
    destination,
    errorOutput,
    retryDurationMs: retryDurationS * 1000,
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
