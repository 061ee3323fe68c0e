import type { OperatorFunction } from 'rxjs';
import { redshiftDestination } from '../destinations/redshift/index.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { asConfigurationError } from './asConfigurationError.js';
import { backupFromConfig } from './backupFromConfig.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configEnum } from './configEnum.js';
import { configNumber } from './configNumber.js';
import { configRoleArn } from './configRoleArn.js';
import { configString } from './configString.js';
import type { DestinationPlan } from './DestinationPlan.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { postgresPoolFor } from './postgresPoolFor.js';
import { processingFromConfig } from './processingFromConfig.js';
import { S3_BUFFERING } from './ranges.js';
import { S3_DESTINATION_FIELDS, s3DestinationFromConfig } from './s3DestinationFromConfig.js';

/** `RetryOptions.DurationInSeconds` of Redshift: 0–7200, default 3600. */
export const REDSHIFT_RETRY_DURATION = { min: 0, max: 7200, default: 3600, unit: 'seconds' } as const;

const JDBC_URL = /^jdbc:(?:redshift|postgresql):\/\/([^:/?]+)(?::(\d{1,5}))?\/([^?;]+)(?:\?(.*))?$/;
const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * Maps a `RedshiftDestinationConfiguration` to a destination plan: `redshiftDestination` with a `pg` pool
 * for `ClusterJDBCURL` (`jdbc:redshift://host:port/database`; TLS unless the host is loopback or the URL
 * says `ssl=false`), `Username`, `Password`, `CopyCommand` (`DataTableName`, `DataTableColumns`,
 * `CopyOptions`), `RoleARN` (COPY's `CREDENTIALS 'aws_iam_role=…'`), `RetryOptions.DurationInSeconds`
 * (0–7200, default 3600), and `S3Configuration`, the intermediate bucket (its `BufferingHints` are the
 * destination buffer, `CompressionFormat` `UNCOMPRESSED` or `GZIP`, `Prefix`), which also receives
 * `processing-failed` records and staging failures; `ProcessingConfiguration`; `S3BackupMode` `Enabled`
 * with `S3BackupConfiguration`. Staging needs S3 (an endpoint or client): COPY reads from S3.
 * `SecretsManagerConfiguration` is refused by name when enabled.
 *
 * ## Example
 * ```ts
 * const plan = redshiftDestinationFromConfig(input.RedshiftDestinationConfiguration, 'RedshiftDestinationConfiguration', ctx);
 * ```
 */
export function redshiftDestinationFromConfig(config: unknown, path: string, ctx: ConfigContext): DestinationPlan {
  const fields = checkFields(config, path, {
    supported: [
      'RoleARN',
      'ClusterJDBCURL',
      'CopyCommand',
      'Username',
      'Password',
      'RetryOptions',
      'S3Configuration',
      'ProcessingConfiguration',
      'S3BackupMode',
      'S3BackupConfiguration',
      'CloudWatchLoggingOptions',
      'SecretsManagerConfiguration',
    ],
    required: ['RoleARN', 'ClusterJDBCURL', 'CopyCommand', 'S3Configuration'],
  });
  configRoleArn(fields.RoleARN, `${path}.RoleARN`);
  const roleArn = fields.RoleARN as string;
  const jdbc = configString(fields.ClusterJDBCURL, `${path}.ClusterJDBCURL`, {
    minLength: 1,
    maxLength: 512,
    pattern: JDBC_URL,
    description: 'a JDBC URL, jdbc:redshift://<host>:<port>/<database>',
  })!;
  const [, host, port, database, query] = JDBC_URL.exec(jdbc)!;
  const params = new URLSearchParams(query ?? '');
  if (fields.SecretsManagerConfiguration !== undefined) {
    const secrets = checkFields(fields.SecretsManagerConfiguration, `${path}.SecretsManagerConfiguration`, {
      supported: ['SecretARN', 'RoleARN', 'Enabled'],
      required: ['Enabled'],
    });
    if (secrets.Enabled !== false)
      throw InvalidConfigurationError.unsupported(`${path}.SecretsManagerConfiguration`, 'give Username and Password');
  }
  const text = { minLength: 1, maxLength: 512, description: 'a string of 1 to 512 characters' };
  const user = configString(fields.Username, `${path}.Username`, text);
  if (user === undefined) throw InvalidConfigurationError.invalid(`${path}.Username`, undefined, 'given: the database user');
  if (fields.Password === undefined || fields.Password === null)
    throw InvalidConfigurationError.invalid(`${path}.Password`, undefined, 'given: the database password');
  if (typeof fields.Password !== 'string' || fields.Password.length < 6 || fields.Password.length > 512)
    throw InvalidConfigurationError.invalid(`${path}.Password`, 'a value that is not shown', 'a string of 6 to 512 characters');
  const copy = checkFields(fields.CopyCommand, `${path}.CopyCommand`, {
    supported: ['DataTableName', 'DataTableColumns', 'CopyOptions'],
    required: ['DataTableName'],
  });
  const table = configString(copy.DataTableName, `${path}.CopyCommand.DataTableName`, text)!;
  const columnList = configString(copy.DataTableColumns, `${path}.CopyCommand.DataTableColumns`, {
    minLength: 0,
    maxLength: 204_800,
    description: 'a comma-separated list of columns',
  });
  const copyOptions = configString(copy.CopyOptions, `${path}.CopyCommand.CopyOptions`, {
    minLength: 0,
    maxLength: 204_800,
    description: 'COPY options',
  });
  let retryDurationS: number = REDSHIFT_RETRY_DURATION.default;
  if (fields.RetryOptions !== undefined) {
    const retry = checkFields(fields.RetryOptions, `${path}.RetryOptions`, { supported: ['DurationInSeconds'] });
    retryDurationS = configNumber(retry.DurationInSeconds, `${path}.RetryOptions.DurationInSeconds`, REDSHIFT_RETRY_DURATION);
  }
  if (fields.CloudWatchLoggingOptions !== undefined)
    checkFields(fields.CloudWatchLoggingOptions, `${path}.CloudWatchLoggingOptions`, {
      supported: ['Enabled', 'LogGroupName', 'LogStreamName'],
    });

  // The intermediate bucket: its buffering is the destination's; the bucket also holds processing and staging failures.
  const s3Path = `${path}.S3Configuration`;
  const staging = checkFields(fields.S3Configuration, s3Path, { supported: S3_DESTINATION_FIELDS, required: ['BucketARN'] });
  const compression = configEnum(staging.CompressionFormat, `${s3Path}.CompressionFormat`, ['UNCOMPRESSED', 'GZIP']);
  const bucketPlan = s3DestinationFromConfig(fields.S3Configuration, s3Path, ctx, S3_BUFFERING);
  const client = ctx.clients.s3();
  if (client === undefined)
    throw InvalidConfigurationError.unsupported(
      s3Path,
      'Redshift loads from S3: give an S3 endpoint or client (the data directory cannot be read by COPY)',
    );
  const bucket = BUCKET_ARN.exec(staging.BucketARN as string)![1]!;
  const prefix = staging.Prefix as string | undefined;
  const errorOutput = ctx.counted(bucketPlan.destination);

  const tls = params.get('ssl') === null ? !LOOPBACK.has(host!) : params.get('ssl') !== 'false';
  const pool = postgresPoolFor(
    { host: host!, port: port === undefined ? 5439 : Number(port), database: database!, user, password: fields.Password, tls },
    path,
  );
  const columns = columnList === undefined || columnList.trim() === '' ? undefined : columnList.split(',').map((c) => c.trim());
  const destination = asConfigurationError(
    () =>
      redshiftDestination({
        pool,
        table,
        ...(columns === undefined ? {} : { columns }),
        ...(copyOptions === undefined ? {} : { copyOptions }),
        credentials: `aws_iam_role=${roleArn}`,
        retryDurationMs: retryDurationS * 1000,
        staging: { client, bucket, streamName: ctx.streamName, compression, ...(prefix === undefined ? {} : { prefix }) },
      }),
    {
      table: `${path}.CopyCommand.DataTableName`,
      columns: `${path}.CopyCommand.DataTableColumns`,
      copyOptions: `${path}.CopyCommand.CopyOptions`,
      credentials: `${path}.RoleARN`,
      'staging.prefix': `${s3Path}.Prefix`,
    },
  );

  const stages: Array<OperatorFunction<FirehoseRecord, FirehoseRecord>> = [];
  const parts: string[] = [];
  const backupMode = configEnum(fields.S3BackupMode, `${path}.S3BackupMode`, ['Disabled', 'Enabled']);
  if (backupMode === 'Enabled') {
    if (fields.S3BackupConfiguration === undefined)
      throw InvalidConfigurationError.invalid(`${path}.S3BackupConfiguration`, undefined, 'present when S3BackupMode is Enabled');
    const backup = backupFromConfig(fields.S3BackupConfiguration, `${path}.S3BackupConfiguration`, ctx);
    stages.push(backup.operator);
    parts.push(`backup → ${backup.location}`);
  }
  const processing = processingFromConfig(fields.ProcessingConfiguration, `${path}.ProcessingConfiguration`, ctx, errorOutput);
  stages.push(...processing.stages);
  parts.push(...processing.descriptions, `s3://${bucket}/${prefix ?? ''} → Redshift ${host}:${port ?? 5439}/${database} ${table}`);
  return {
    description: parts.join(' → '),
    stages,
    buffering: bucketPlan.buffering,
    destination,
    errorOutput,
    retryDurationMs: undefined,
  };
}
