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

export interface RedshiftDestinationOptions {
  /**
   * A `pg` `Pool` to the cluster (Redshift speaks PostgreSQL's protocol): host, port and database of the
   * `ClusterJDBCURL`, the user and password, TLS as your cluster needs.
   */
  readonly pool: PostgresPool;
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

/** The checked options. */
export interface RedshiftConfig {
  readonly pool: PostgresPool;
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

/** A string as a SQL literal: single quotes doubled. */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option. */
export function checkRedshiftOptions(options: RedshiftDestinationOptions): RedshiftConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with pool, table and staging');
  // The table, the columns and the pool follow PostgreSQL's rules (a json column stands in when there are no columns).
  const { pool, table, fields } = (() => {
    try {
      return checkPostgresOptions(
        options.columns === undefined
          ? { pool: options.pool, table: options.table, jsonColumn: 'unused' }
          : { pool: options.pool, table: options.table, columns: options.columns },
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
    pool,
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
