import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkNumber } from '../../options/checkNumber.js';
import { checkPostgresOptions, type PostgresPool } from '../postgres/options.js';
import { quoteIdentifier } from '../postgres/quoteIdentifier.js';
import { checkS3Options, type S3Config, type S3DestinationOptions } from '../s3/options.js';

export const NAME = 'redshiftDestination';

/**
 * The intermediate bucket (Firehose's `S3Configuration`): an S3 destination's options, with compression
 * `UNCOMPRESSED` or `GZIP` only (what COPY reads) and no dynamic partitioning.
 */
export interface RedshiftStagingOptions extends Omit<S3DestinationOptions, 'compression' | 'dynamicPartitioning' | 'errorOutputPrefix'> {
  /** `UNCOMPRESSED` (default) or `GZIP` (COPY then gets `GZIP`). */
  readonly compression?: 'UNCOMPRESSED' | 'GZIP' | undefined;
}

/**
 * Where COPY runs through the Redshift Data API instead of a connection: a Serverless workgroup
 * (`workgroupName`), or a provisioned cluster (`clusterIdentifier` with `dbUser` or `secretArn`).
 */
export interface RedshiftDataApiOptions {
  /** A `RedshiftDataClient` from `@aws-sdk/client-redshift-data` you configured (region, credentials). */
  readonly client: Pick<RedshiftDataClient, 'send'>;
  /** The Redshift Serverless workgroup (name or ARN). Give this or `clusterIdentifier`. */
  readonly workgroupName?: string | undefined;
  /** The provisioned cluster. Give this or `workgroupName`. */
  readonly clusterIdentifier?: string | undefined;
  /** The database COPY runs in. */
  readonly database: string;
  /** The database user, with temporary credentials from `redshift:GetClusterCredentials` (clusters only). */
  readonly dbUser?: string | undefined;
  /** A Secrets Manager secret with the user name and password. */
  readonly secretArn?: string | undefined;
  /** How often `DescribeStatement` asks whether the COPY finished. Default 1,000 ms; 100 – 300,000. */
  readonly pollIntervalMs?: number | undefined;
}

export interface RedshiftDestinationOptions {
  /**
   * A `pg` `Pool` to the cluster (Redshift speaks PostgreSQL's protocol): host, port and database of the
   * `ClusterJDBCURL`, the user and password, TLS as your cluster needs. Give this or `dataApi`.
   */
  readonly pool?: PostgresPool | undefined;
  /** Run COPY through the Redshift Data API (Serverless workgroup or cluster) instead of a `pool`. */
  readonly dataApi?: RedshiftDataApiOptions | undefined;
  /** Firehose's `DataTableName`, optionally schema-qualified. */
  readonly table: string;
  /** Firehose's `DataTableColumns`: the columns COPY fills, in order. Default: every column of the table. */
  readonly columns?: readonly string[] | undefined;
  /** Firehose's `CopyOptions`, appended to COPY as written, e.g. `JSON 'auto'` or `DELIMITER '|'`. */
  readonly copyOptions?: string | undefined;
  /** COPY's `CREDENTIALS` string, e.g. `aws_iam_role=arn:aws:iam::123456789012:role/firehose` (Firehose passes its role). Default: none in the statement. */
  readonly credentials?: string | undefined;
  /** How long to retry a failing COPY (Firehose's `RetryOptions`), counted from its first failure. Default 3,600,000 ms; 0 – 7,200,000. */
  readonly retryDurationMs?: number | undefined;
  /** The intermediate bucket: where each batch is staged, with its manifest, before COPY. */
  readonly staging: RedshiftStagingOptions;
}

/** The checked Data API options. */
export interface RedshiftDataApiConfig {
  readonly client: Pick<RedshiftDataClient, 'send'>;
  /** `WorkgroupName` or `ClusterIdentifier`, `Database`, `DbUser`, `SecretArn` of `ExecuteStatement`. */
  readonly target: {
    readonly WorkgroupName?: string;
    readonly ClusterIdentifier?: string;
    readonly Database: string;
    readonly DbUser?: string;
    readonly SecretArn?: string;
  };
  readonly pollIntervalMs: number;
}

/** The checked options. */
export interface RedshiftConfig {
  /** Exactly one of `pool` and `dataApi`. */
  readonly pool: PostgresPool | undefined;
  readonly dataApi: RedshiftDataApiConfig | undefined;
  readonly table: string;
  /** `COPY "t" ("a", "b") FROM ` — the manifest's URL and the rest follow. */
  readonly copyHead: string;
  /** ` CREDENTIALS '…' MANIFEST GZIP <copyOptions>`, after the manifest's URL. */
  readonly copyTail: string;
  readonly retryDurationMs: number;
  readonly staging: S3Config;
  /** Key layouts of manifests (`<prefix>manifests/…`) and of failed manifests (`<prefix>errors/manifests/…`). */
  readonly manifests: S3Config;
  readonly errors: S3Config;
}

/** Firehose's default and longest retry duration for Redshift: 3600 s and 7200 s. */
export const REDSHIFT_RETRY_DURATION_MS = 3_600_000;
export const MAX_REDSHIFT_RETRY_DURATION_MS = 7_200_000;
/** `dataApi.pollIntervalMs`: default and range. */
export const DATA_API_POLL_INTERVAL_MS = { default: 1_000, min: 100, max: 300_000 } as const;

/** Stands for the pool while the table and columns are checked, when COPY runs through the Data API. */
const NO_POOL: PostgresPool = { connect: () => Promise.reject(new Error('no pool: COPY runs through the Data API')) };

/** A string as a SQL literal: single quotes doubled. */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option. */
export function checkRedshiftOptions(options: RedshiftDestinationOptions): RedshiftConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with pool, table and staging');
  if ((options.pool === undefined) === (options.dataApi === undefined))
    throw new InvalidOptionError(
      NAME,
      'pool',
      options.pool,
      'either pool (a pg Pool) or dataApi (the Redshift Data API), not both nor neither',
    );
  const dataApi = options.dataApi === undefined ? undefined : checkDataApi(options.dataApi);
  // The table, the columns and the pool follow PostgreSQL's rules (a json column stands in when there are no columns).
  const { pool, table, fields } = (() => {
    const given = options.pool ?? NO_POOL;
    try {
      return checkPostgresOptions(
        options.columns === undefined
          ? { pool: given, table: options.table, jsonColumn: 'unused' }
          : { pool: given, table: options.table, columns: options.columns },
      );
    } catch (err) {
      if (err instanceof InvalidOptionError) throw new InvalidOptionError(NAME, err.option, err.value, err.allowed);
      throw err;
    }
  })();
  const staging = options.staging;
  if (typeof staging !== 'object' || staging === null)
    throw new InvalidOptionError(NAME, 'staging', staging, 'the intermediate bucket: an object with client and bucket');
  const compression = staging.compression ?? 'UNCOMPRESSED';
  if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP')
    throw new InvalidOptionError(NAME, 'staging.compression', compression, "'UNCOMPRESSED' or 'GZIP' (what Redshift's COPY reads)");
  for (const option of ['copyOptions', 'credentials'] as const) {
    const v = options[option];
    if (v !== undefined && (typeof v !== 'string' || v.includes(';')))
      throw new InvalidOptionError(NAME, option, v, 'a string without ";" (one COPY statement)');
  }
  const prefix = staging.prefix ?? '';
  const layout = (p: string): S3Config => {
    try {
      return checkS3Options({ ...staging, compression, prefix: p });
    } catch (err) {
      if (err instanceof InvalidOptionError) throw new InvalidOptionError(NAME, `staging.${err.option}`, err.value, err.allowed);
      throw err;
    }
  };
  const copyOptions = options.copyOptions?.trim() ?? '';
  const gzip = compression === 'GZIP' && !/\bGZIP\b/i.test(copyOptions) ? ' GZIP' : '';
  const credentials = options.credentials === undefined ? '' : ` CREDENTIALS ${sqlLiteral(options.credentials)}`;
  return {
    pool: dataApi === undefined ? pool : undefined,
    dataApi,
    table,
    copyHead: `COPY ${quoteIdentifier(table)}${fields === undefined ? '' : ` (${fields.map(quoteIdentifier).join(', ')})`} FROM `,
    copyTail: `${credentials} MANIFEST${gzip}${copyOptions === '' ? '' : ` ${copyOptions}`}`,
    retryDurationMs: checkNumber(NAME, 'retryDurationMs', options.retryDurationMs, REDSHIFT_RETRY_DURATION_MS, {
      min: 0,
      max: MAX_REDSHIFT_RETRY_DURATION_MS,
      unit: 'ms',
    }),
    staging: layout(prefix),
    manifests: layout(`${prefix}manifests/`),
    errors: layout(`${prefix}errors/manifests/`),
  };
}

function checkDataApi(options: RedshiftDataApiOptions): RedshiftDataApiConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'dataApi', options, 'an object with client, workgroupName or clusterIdentifier, and database');
  const { client } = options;
  if (typeof client !== 'object' || client === null || typeof (client as { send?: unknown }).send !== 'function')
    throw new InvalidOptionError(NAME, 'dataApi.client', client, 'a RedshiftDataClient (an object with send())');
  const text = (option: 'workgroupName' | 'clusterIdentifier' | 'database' | 'dbUser' | 'secretArn'): string | undefined => {
    const v = options[option];
    if (v !== undefined && (typeof v !== 'string' || v === '' || v.length > 2048))
      throw new InvalidOptionError(NAME, `dataApi.${option}`, v, 'a string of 1 to 2048 characters');
    return v;
  };
  const workgroupName = text('workgroupName');
  const clusterIdentifier = text('clusterIdentifier');
  const database = text('database');
  const dbUser = text('dbUser');
  const secretArn = text('secretArn');
  if ((workgroupName === undefined) === (clusterIdentifier === undefined))
    throw new InvalidOptionError(
      NAME,
      'dataApi.workgroupName',
      workgroupName,
      'either workgroupName (Redshift Serverless) or clusterIdentifier (a provisioned cluster), not both nor neither',
    );
  if (database === undefined) throw new InvalidOptionError(NAME, 'dataApi.database', database, 'the database COPY runs in');
  if (workgroupName !== undefined && dbUser !== undefined)
    throw new InvalidOptionError(
      NAME,
      'dataApi.dbUser',
      dbUser,
      'absent with workgroupName (Serverless signs in as your IAM identity, or with secretArn)',
    );
  if (clusterIdentifier !== undefined && (dbUser === undefined) === (secretArn === undefined))
    throw new InvalidOptionError(
      NAME,
      'dataApi.dbUser',
      dbUser,
      'with clusterIdentifier, either dbUser (temporary credentials) or secretArn, not both nor neither',
    );
  return {
    client,
    target: {
      ...(workgroupName === undefined ? {} : { WorkgroupName: workgroupName }),
      ...(clusterIdentifier === undefined ? {} : { ClusterIdentifier: clusterIdentifier }),
      Database: database,
      ...(dbUser === undefined ? {} : { DbUser: dbUser }),
      ...(secretArn === undefined ? {} : { SecretArn: secretArn }),
    },
    pollIntervalMs: checkNumber(NAME, 'dataApi.pollIntervalMs', options.pollIntervalMs, DATA_API_POLL_INTERVAL_MS.default, {
      min: DATA_API_POLL_INTERVAL_MS.min,
      max: DATA_API_POLL_INTERVAL_MS.max,
      unit: 'ms',
    }),
  };
}
