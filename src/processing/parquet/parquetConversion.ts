import { availableParallelism } from 'node:os';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkNumber } from '../../options/checkNumber.js';
import { conversionPool } from './conversionPool.js';
import type { ConversionSettings } from './convertBatch.js';
import type { DataFormatConversion } from './DataFormatConversion.js';
import { HIVE_TYPES_SUPPORTED, parseHiveType } from './hiveType.js';
import { pooledConversion } from './pooledConversion.js';
import { timestampFormat } from './timestampFormat.js';
import type { ParquetColumn, ParquetCompression } from './ParquetColumn.js';

/** Options of {@link parquetConversion}. */
export interface ParquetConversionOptions {
  /**
   * The explicit schema: 1–1000 columns with distinct names, each with a Hive type (see
   * {@link ParquetColumnType}: the primitives, `decimal(p,s)`, `date`, `binary`, `array<…>`, `map<…>`,
   * `struct<…>`). Firehose takes this schema from a Glue table; here it is given directly (in a
   * configuration file: `SchemaConfiguration.Columns`, an rx-firehose extension).
   */
  readonly columns: readonly ParquetColumn[];
  /** `SNAPPY` (default, as `ParquetSerDe`), `GZIP` or `UNCOMPRESSED`. */
  readonly compression?: ParquetCompression | undefined;
  /** Match JSON field names to columns ignoring case, as the OpenX JSON SerDe does by default. Default `true`. */
  readonly caseInsensitive?: boolean | undefined;
  /** The target size of a page before compression (`ParquetSerDe.PageSizeBytes`): at least 64 KiB. Default 1 MiB. */
  readonly pageSizeBytes?: number | undefined;
  /**
   * How many batches convert at once on worker threads, off the event loop (0–64): `0` converts on the
   * event loop. Default: one less than the cores (`os.availableParallelism()`), at least 1, at most 4.
   * Threads start when a batch waits and stop when none does.
   */
  readonly workerThreads?: number | undefined;
  /**
   * `HiveJsonSerDe`'s `TimestampFormats`: formats tried in order for `timestamp` values before the default
   * rules, each `millis` (milliseconds since the epoch) or a Joda-Time pattern such as
   * `dd/MM/yyyy HH:mm:ss.SSS ZZ` (letters y, M, d, H, h, m, s, S, a, Z; quoted text).
   */
  readonly timestampFormats?: readonly string[] | undefined;
}

const COMPONENT = 'parquetConversion';
const COMPRESSIONS: readonly ParquetCompression[] = ['SNAPPY', 'GZIP', 'UNCOMPRESSED'];
const MAX_COLUMNS = 1000;
const MAX_WORKER_THREADS = 64;

/**
 * Firehose's record format conversion to Apache Parquet, with an explicit schema instead of a Glue table.
 *
 * Give it to an object store destination (`s3Destination`, `directoryDestination`) as
 * `dataFormatConversion`: every object the destination writes is then one Parquet file (named `….parquet`)
 * holding the batch's records as one row group (a row per JSON object: a record may hold several written one
 * after the other), and records that are not JSON objects or whose fields do
 * not fit their columns go to the error output under `format-conversion-failed/`, the others are
 * delivered. Buffer at least 64 MiB, as Firehose requires with conversion on.
 *
 * ```
 * batch ──▶ JSON → row per record ──▶ rows ──▶ one Parquet file (one row group) ──▶ object store
 *                  └ not JSON / wrong type ──▶ error output, format-conversion-failed/
 * ```
 *
 * The conversion (reading the JSON, checking it against the schema, writing the file) runs on worker
 * threads (`workerThreads`), so that the event loop stays free while a 64 MiB batch converts. The writer,
 * `hyparquet-writer`, is an optional peer dependency loaded with the first file.
 *
 * ## Example
 * ```ts
 * import { directoryDestination, parquetConversion } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const parquet = parquetConversion({
 *   columns: [{ name: 'user', type: 'string' }, { name: 'clicks', type: 'int' }, { name: 'at', type: 'timestamp' }],
 *   compression: 'SNAPPY',
 * });
 * const lake = directoryDestination({ path: './lake', streamName: 'clicks', dataFormatConversion: parquet });
 * records$.pipe(bufferBySizeOrTime({ maxBytes: 64 << 20, maxMs: 300_000 }), deliverTo(lake, { errorOutput: lake }));
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid schema, compression, page size or number of worker threads.
 */
export function parquetConversion(options: ParquetConversionOptions): DataFormatConversion {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(COMPONENT, 'options', options, 'an object');
  const columns = checkColumns(options.columns);
  const compression = options.compression ?? 'SNAPPY';
  if (!COMPRESSIONS.includes(compression))
    throw new InvalidOptionError(COMPONENT, 'compression', compression, 'one of SNAPPY, GZIP, UNCOMPRESSED');
  const caseInsensitive = options.caseInsensitive ?? true;
  if (typeof caseInsensitive !== 'boolean') throw new InvalidOptionError(COMPONENT, 'caseInsensitive', caseInsensitive, 'true or false');
  const pageSizeBytes = checkNumber(COMPONENT, 'pageSizeBytes', options.pageSizeBytes, 1_048_576, {
    min: 65_536,
    max: 2 ** 31 - 1,
    integer: true,
    unit: 'bytes',
  });
  const workerThreads = checkNumber(
    COMPONENT,
    'workerThreads',
    options.workerThreads,
    Math.min(4, Math.max(1, availableParallelism() - 1)),
    {
      min: 0,
      max: MAX_WORKER_THREADS,
      integer: true,
    },
  );
  const names = new Set<string>();
  columns.forEach((column, i) => {
    const key = caseInsensitive ? column.name.toLowerCase() : column.name;
    if (names.has(key))
      throw new InvalidOptionError(
        COMPONENT,
        `columns[${i}].name`,
        column.name,
        `a name used once${caseInsensitive ? ' (ignoring case)' : ''}`,
      );
    names.add(key);
  });
  const timestampFormats = options.timestampFormats;
  if (timestampFormats !== undefined) {
    if (!Array.isArray(timestampFormats) || timestampFormats.length > 100)
      throw new InvalidOptionError(COMPONENT, 'timestampFormats', timestampFormats, 'a list of up to 100 formats');
    timestampFormats.forEach((format: unknown, i) => {
      const parser = typeof format === 'string' ? timestampFormat(format) : 'not a string';
      if (typeof parser === 'string')
        throw new InvalidOptionError(COMPONENT, `timestampFormats[${i}]`, format, `millis or a Joda-Time pattern (${parser})`);
    });
  }
  const settings: ConversionSettings = {
    columns,
    compression,
    caseInsensitive,
    pageSizeBytes,
    ...(timestampFormats === undefined ? {} : { timestampFormats: [...timestampFormats] }),
  };
  return pooledConversion(settings, conversionPool({ size: workerThreads }));
}

function checkColumns(columns: unknown): ParquetColumn[] {
  if (!Array.isArray(columns) || columns.length === 0 || columns.length > MAX_COLUMNS) {
    throw new InvalidOptionError(COMPONENT, 'columns', columns, `a list of 1 to ${MAX_COLUMNS} columns { name, type }`);
  }
  return columns.map((column: unknown, i): ParquetColumn => {
    const { name, type } = (typeof column === 'object' && column !== null ? column : {}) as { name?: unknown; type?: unknown };
    if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
      throw new InvalidOptionError(COMPONENT, `columns[${i}].name`, name, 'a string of 1 to 255 characters');
    }
    if (typeof type !== 'string' || parseHiveType(type) === undefined) {
      throw new InvalidOptionError(COMPONENT, `columns[${i}].type`, type, `a Hive type: ${HIVE_TYPES_SUPPORTED}`);
    }
    return { name, type: type as ParquetColumn['type'] };
  });
}
