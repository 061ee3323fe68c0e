import type { OperatorFunction } from 'rxjs';
import type { PostgresPool } from '../destinations/postgres/options.js';
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
import { REDSHIFT_DATA_API_CONFIGURATION, redshiftDataApiFromConfig } from './redshiftDataApiFromConfig.js';
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
 * `SecretsManagerConfiguration` is refused by name when enabled. The rx-firehose extension
 * `RxFirehoseDataApiConfiguration` (`WorkgroupName` or `ClusterIdentifier`, `Database`, `DbUser`,
 * `SecretArn`, `PollIntervalInSeconds`: {@link redshiftDataApiFromConfig}) runs COPY through the Redshift
 * Data API instead; `ClusterJDBCURL` is then optional (its database is the default `Database`), and
 * `Username`/`Password` are refused. The `pg` pool is ended when the stream ends.
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
      REDSHIFT_DATA_API_CONFIGURATION,
    ],
    required: ['RoleARN', 'CopyCommand', 'S3Configuration'],
  });
  configRoleArn(fields.RoleARN, `${path}.RoleARN`);
  const roleArn = fields.RoleARN as string;
  const throughDataApi = fields[REDSHIFT_DATA_API_CONFIGURATION] !== undefined && fields[REDSHIFT_DATA_API_CONFIGURATION] !== null;
  if (!throughDataApi && fields.ClusterJDBCURL === undefined)
    throw InvalidConfigurationError.invalid(
      `${path}.ClusterJDBCURL`,
      undefined,
      `given (or ${REDSHIFT_DATA_API_CONFIGURATION}, an rx-firehose extension)`,
    );
  const jdbc = configString(fields.ClusterJDBCURL, `${path}.ClusterJDBCURL`, {
    minLength: 1,
    maxLength: 512,
    pattern: JDBC_URL,
    description: 'a JDBC URL, jdbc:redshift://<host>:<port>/<database>',
  });
  const [, host, port, database, query] = jdbc === undefined ? [] : JDBC_URL.exec(jdbc)!;
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
  if (throughDataApi) {
    // The Data API signs in with IAM (DbUser) or a secret: a password here would silently go unused.
    if (fields.Username !== undefined || fields.Password !== undefined)
      throw InvalidConfigurationError.invalid(
        fields.Username !== undefined ? `${path}.Username` : `${path}.Password`,
        'a value that is not shown',
        `absent with ${REDSHIFT_DATA_API_CONFIGURATION} (give its DbUser or SecretArn)`,
      );
  } else {
    if (user === undefined) throw InvalidConfigurationError.invalid(`${path}.Username`, undefined, 'given: the database user');
    if (fields.Password === undefined || fields.Password === null)
      throw InvalidConfigurationError.invalid(`${path}.Password`, undefined, 'given: the database password');
    if (typeof fields.Password !== 'string' || fields.Password.length < 6 || fields.Password.length > 512)
      throw InvalidConfigurationError.invalid(`${path}.Password`, 'a value that is not shown', 'a string of 6 to 512 characters');
  }
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

  const dataApiPath = `${path}.${REDSHIFT_DATA_API_CONFIGURATION}`;
  const connection = throughDataApi
    ? { dataApi: redshiftDataApiFromConfig(fields[REDSHIFT_DATA_API_CONFIGURATION], dataApiPath, ctx, database) }
    : { pool: poolFor(host!, port, database!, user, fields.Password, params, path, ctx) };
  const columns = columnList === undefined || columnList.trim() === '' ? undefined : columnList.split(',').map((c) => c.trim());
  const destination = asConfigurationError(
    () =>
      redshiftDestination({
        ...connection,
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
      'dataApi.pollIntervalMs': `${dataApiPath}.PollIntervalInSeconds`,
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
  const target =
    connection.dataApi === undefined
      ? `${host}:${port ?? 5439}/${database}`
      : `Data API ${connection.dataApi.workgroupName ?? connection.dataApi.clusterIdentifier}/${connection.dataApi.database}`;
  parts.push(...processing.descriptions, `s3://${bucket}/${prefix ?? ''} → Redshift ${target} ${table}`);
  return {
    description: parts.join(' → '),
    stages,
    buffering: bucketPlan.buffering,
    destination,
    errorOutput,
    retryDurationMs: undefined,
  };
}

/** The `pg` pool of a `ClusterJDBCURL` (TLS unless loopback or `ssl=false`), owned by the stream: ended when it ends. */
function poolFor(
  host: string,
  port: string | undefined,
  database: string,
  user: string | undefined,
  password: unknown,
  params: URLSearchParams,
  path: string,
  ctx: ConfigContext,
): PostgresPool {
  const tls = params.get('ssl') === null ? !LOOPBACK.has(host) : params.get('ssl') !== 'false';
  const pool = postgresPoolFor(
    { host, port: port === undefined ? 5439 : Number(port), database, user, password: password as string, tls },
    path,
  );
  ctx.clients.own(pool);
  return pool;
}
