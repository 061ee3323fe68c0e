import type { OperatorFunction } from 'rxjs';
import { postgresDestination } from '../destinations/postgres/index.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { asConfigurationError } from './asConfigurationError.js';
import { bufferingFromHints } from './bufferingFromHints.js';
import { checkFields } from './checkFields.js';
import type { ConfigContext } from './ConfigContext.js';
import { configNumber } from './configNumber.js';
import { configString } from './configString.js';
import type { DestinationPlan } from './DestinationPlan.js';
import { InvalidConfigurationError } from './InvalidConfigurationError.js';
import { postgresPoolFor } from './postgresPoolFor.js';
import { processingFromConfig } from './processingFromConfig.js';
import { S3_BUFFERING } from './ranges.js';
import { s3DestinationFromConfig } from './s3DestinationFromConfig.js';

/** The field of this rx-firehose extension (Firehose has no PostgreSQL destination). */
export const POSTGRES_CONFIGURATION = 'RxFirehosePostgreSQLDestinationConfiguration';
/** `RetryOptions.DurationInSeconds`: 0–7200, default 3600 (as Redshift). */
export const POSTGRES_RETRY_DURATION = { min: 0, max: 7200, default: 3600, unit: 'seconds' } as const;

const URL_PATTERN = /^postgres(?:ql)?:\/\//;

/**
 * Maps `RxFirehosePostgreSQLDestinationConfiguration`, an rx-firehose extension, to a destination plan:
 * `postgresDestination` with a `pg` pool for `ConnectionString` (`postgres://user:password@host:port/db`,
 * TLS when it says `sslmode=require`), `TableName`, `Columns` (a list) or `JsonColumn`, `BatchTableName`,
 * `RetryOptions.DurationInSeconds` (0–7200, default 3600), `BufferingHints` (S3's ranges: 1–128 MiB, 0–900 s),
 * `ProcessingConfiguration`, and `S3Configuration`: the bucket of `postgres-failed` and `processing-failed`
 * records.
 *
 * ## Example
 * ```ts
 * const plan = postgresDestinationFromConfig(input.RxFirehosePostgreSQLDestinationConfiguration, 'RxFirehosePostgreSQLDestinationConfiguration', ctx);
 * ```
 */
export function postgresDestinationFromConfig(config: unknown, path: string, ctx: ConfigContext): DestinationPlan {
  const fields = checkFields(config, path, {
    supported: [
      'ConnectionString',
      'TableName',
      'Columns',
      'JsonColumn',
      'BatchTableName',
      'RetryOptions',
      'BufferingHints',
      'ProcessingConfiguration',
      'S3Configuration',
    ],
    required: ['ConnectionString', 'TableName', 'S3Configuration'],
  });
  const connectionString = configString(fields.ConnectionString, `${path}.ConnectionString`, {
    minLength: 1,
    maxLength: 2048,
    pattern: URL_PATTERN,
    description: 'a postgres:// URL',
  })!;
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw InvalidConfigurationError.invalid(`${path}.ConnectionString`, 'a value that is not shown', 'a postgres:// URL');
  }
  const text = { minLength: 1, maxLength: 127, description: 'a name of 1 to 127 characters' };
  const table = configString(fields.TableName, `${path}.TableName`, text)!;
  const jsonColumn = configString(fields.JsonColumn, `${path}.JsonColumn`, text);
  const batchTable = configString(fields.BatchTableName, `${path}.BatchTableName`, text);
  const columns = fields.Columns as readonly string[] | undefined;
  let retryDurationS: number = POSTGRES_RETRY_DURATION.default;
  if (fields.RetryOptions !== undefined) {
    const retry = checkFields(fields.RetryOptions, `${path}.RetryOptions`, { supported: ['DurationInSeconds'] });
    retryDurationS = configNumber(retry.DurationInSeconds, `${path}.RetryOptions.DurationInSeconds`, POSTGRES_RETRY_DURATION);
  }
  const buffering = bufferingFromHints(fields.BufferingHints, `${path}.BufferingHints`, S3_BUFFERING);
  const bucket = s3DestinationFromConfig(fields.S3Configuration, `${path}.S3Configuration`, ctx, S3_BUFFERING);
  const errorOutput = ctx.counted(bucket.destination);
  const pool = postgresPoolFor(
    {
      host: url.hostname,
      port: url.port === '' ? 5432 : Number(url.port),
      database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
      ...(url.username === '' ? {} : { user: decodeURIComponent(url.username) }),
      ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
      tls: ['require', 'verify-ca', 'verify-full'].includes(url.searchParams.get('sslmode') ?? ''),
    },
    path,
  );
  ctx.clients.own(pool);
  const destination = asConfigurationError(
    () =>
      postgresDestination({
        pool,
        table,
        ...(columns === undefined ? {} : { columns }),
        ...(jsonColumn === undefined ? {} : { jsonColumn }),
        ...(batchTable === undefined ? {} : { batchTable }),
        retryDurationMs: retryDurationS * 1000,
      }),
    {
      table: `${path}.TableName`,
      columns: `${path}.Columns`,
      jsonColumn: `${path}.JsonColumn`,
      batchTable: `${path}.BatchTableName`,
    },
  );
  const stages: Array<OperatorFunction<FirehoseRecord, FirehoseRecord>> = [];
  const processing = processingFromConfig(fields.ProcessingConfiguration, `${path}.ProcessingConfiguration`, ctx, errorOutput);
  stages.push(...processing.stages);
  const description = [
    ...processing.descriptions,
    `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname} ${table} (failures → ${bucket.location})`,
  ].join(' → ');
  return { description, stages, buffering, destination, errorOutput, retryDurationMs: retryDurationS * 1000 };
}
