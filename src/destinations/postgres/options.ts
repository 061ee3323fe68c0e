import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkNumber } from '../../options/checkNumber.js';
import { quoteIdentifier } from './quoteIdentifier.js';

export const NAME = 'postgresDestination';

/** A connection taken from a pool: the two ways `postgresDestination` uses it. A `PoolClient` of `pg` fits. */
export interface PostgresPoolClient {
  /** A statement with parameters, or (with a `pg-copy-streams` stream) the COPY itself. */
  query(text: string, values?: unknown[]): Promise<{ readonly rows: readonly unknown[]; readonly rowCount: number | null }>;
  /** Gives the connection back; with an error (or `true`), closes it instead. */
  release(destroy?: boolean | Error): void;
}

/** Where connections come from: a `Pool` of `pg` fits. rx-firehose never builds one: you configure it (host, TLS, credentials, `max`). */
export interface PostgresPool {
  connect(): Promise<PostgresPoolClient>;
}

export interface PostgresDestinationOptions {
  /** A `pg` `Pool` you configured. Each batch takes one connection for its transaction. */
  readonly pool: PostgresPool;
  /** The table, optionally schema-qualified (`analytics.events`). Names are quoted as written. */
  readonly table: string;
  /**
   * Columns filled from the JSON object of each record, each from the field of the same name (a missing
   * field or `null` is SQL NULL; objects and arrays go in as JSON text). Give `columns` or `jsonColumn`.
   */
  readonly columns?: readonly string[] | undefined;
  /** One `json`/`jsonb` (or `text`) column that takes each record's JSON as it is. Give `columns` or `jsonColumn`. */
  readonly jsonColumn?: string | undefined;
  /**
   * The table that records committed batches, written in the same transaction as the rows: a batch sent
   * again after an answer was lost is recognised and not loaded twice. Created when missing. Default
   * `rx_firehose_batches`.
   */
  readonly batchTable?: string | undefined;
  /** How long to retry a batch, counted from its first failure. Default 3,600,000 ms (1 h); 0 – 7,200,000. */
  readonly retryDurationMs?: number | undefined;
}

/** The checked options, with the SQL they make. */
export interface PostgresConfig {
  readonly pool: PostgresPool;
  readonly table: string;
  /** `COPY "t" ("a", "b") FROM STDIN` */
  readonly copySql: string;
  /** The fields read from each record, in column order; `undefined` in `jsonColumn` mode. */
  readonly fields: readonly string[] | undefined;
  readonly batchTable: string;
  readonly retryDurationMs: number;
}

/** Firehose's longest retry duration (Redshift, HTTP endpoint, Splunk, OpenSearch): 7200 s. */
export const MAX_RETRY_DURATION_MS = 7_200_000;
/** 3600 s, Firehose's default for Redshift, the other SQL destination. */
export const DEFAULT_RETRY_DURATION_MS = 3_600_000;

const NAME_PATTERN = /^[^\s.]+(\.[^\s.]+)?$/;

function checkName(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 127 || !NAME_PATTERN.test(value))
    throw new InvalidOptionError(NAME, option, value, 'a name, optionally schema-qualified (schema.name), without spaces');
  return value;
}

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option. */
export function checkPostgresOptions(options: PostgresDestinationOptions): PostgresConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with pool, table and columns or jsonColumn');
  const { pool } = options;
  if (typeof pool !== 'object' || pool === null || typeof (pool as { connect?: unknown }).connect !== 'function')
    throw new InvalidOptionError(NAME, 'pool', pool, 'a Pool from pg (an object with connect())');
  const table = checkName('table', options.table);
  const { columns, jsonColumn } = options;
  if ((columns === undefined) === (jsonColumn === undefined))
    throw new InvalidOptionError(NAME, 'columns', columns, 'either columns (a list of column names) or jsonColumn, not both nor neither');
  let fields: string[] | undefined;
  let columnList: string;
  if (columns !== undefined) {
    if (!Array.isArray(columns) || columns.length === 0 || columns.length > 1600)
      throw new InvalidOptionError(NAME, 'columns', columns, 'a non-empty array of at most 1600 column names');
    fields = columns.map((c, i) => {
      if (typeof c !== 'string' || c === '' || c.length > 63)
        throw new InvalidOptionError(NAME, `columns[${i}]`, c, 'a column name of 1–63 characters');
      return c;
    });
    if (new Set(fields).size !== fields.length) throw new InvalidOptionError(NAME, 'columns', columns, 'distinct column names');
    columnList = fields.map(quoteIdentifier).join(', ');
  } else {
    if (typeof jsonColumn !== 'string' || jsonColumn === '' || jsonColumn.length > 63)
      throw new InvalidOptionError(NAME, 'jsonColumn', jsonColumn, 'a column name of 1–63 characters');
    columnList = quoteIdentifier(jsonColumn);
  }
  return {
    pool,
    table,
    copySql: `COPY ${quoteIdentifier(table)} (${columnList}) FROM STDIN`,
    fields,
    batchTable: checkName('batchTable', options.batchTable ?? 'rx_firehose_batches'),
    retryDurationMs: checkNumber(NAME, 'retryDurationMs', options.retryDurationMs, DEFAULT_RETRY_DURATION_MS, {
      min: 0,
      max: MAX_RETRY_DURATION_MS,
      unit: 'ms',
    }),
  };
}
