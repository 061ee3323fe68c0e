import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import { checkNumber } from '../../options/checkNumber.js';
import type { ItemFailure } from '../../destinations/Destination.js';
import { dataOf } from '../../records/dataOf.js';
import type { DataFormatConversion } from './DataFormatConversion.js';
import { FormatConversionError } from './FormatConversionError.js';
import { PARQUET_COLUMN_TYPES, type ParquetColumn, type ParquetCompression, type ParquetRow } from './ParquetColumn.js';
import { rowsOf } from './rowsOf.js';
import { writeParquetRows } from './writeParquetRows.js';

/** Options of {@link parquetConversion}. */
export interface ParquetConversionOptions {
  /**
   * The explicit schema: 1–1000 columns with distinct names, each typed `string`, `boolean`, `int`, `bigint`,
   * `float`, `double` or `timestamp`. Firehose takes this schema from a Glue table; here it is given
   * directly (in a configuration file: `SchemaConfiguration.Columns`, an rx-firehose extension).
   */
  readonly columns: readonly ParquetColumn[];
  /** `SNAPPY` (default, as `ParquetSerDe`), `GZIP` or `UNCOMPRESSED`. */
  readonly compression?: ParquetCompression | undefined;
  /** Match JSON field names to columns ignoring case, as the OpenX JSON SerDe does by default. Default `true`. */
  readonly caseInsensitive?: boolean | undefined;
  /** The target size of a page before compression (`ParquetSerDe.PageSizeBytes`): at least 64 KiB. Default 1 MiB. */
  readonly pageSizeBytes?: number | undefined;
}

const COMPONENT = 'parquetConversion';
const COMPRESSIONS: readonly ParquetCompression[] = ['SNAPPY', 'GZIP', 'UNCOMPRESSED'];
const MAX_COLUMNS = 1000;

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
 * The writer, `hyparquet-writer`, is an optional peer dependency loaded with the first file.
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
 * @throws {InvalidOptionError} at the call, for an invalid schema or compression.
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
  const columnIndex = new Map<string, number>();
  columns.forEach((column, i) => {
    const key = caseInsensitive ? column.name.toLowerCase() : column.name;
    if (columnIndex.has(key))
      throw new InvalidOptionError(
        COMPONENT,
        `columns[${i}].name`,
        column.name,
        `a name used once${caseInsensitive ? ' (ignoring case)' : ''}`,
      );
    columnIndex.set(key, i);
  });

  // Rows of records that passed `check`, for `encode` (the same record objects reach it): each record is
  // parsed once. Weak, so rows of batches that never reach `encode` (unsubscribed) are not kept.
  const rows = new WeakMap<object, ParquetRow[]>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const convert = (record: unknown): ParquetRow[] => {
    let text: string;
    try {
      text = decoder.decode(dataOf(record));
    } catch (err) {
      throw new FormatConversionError('DataFormatConversion.MalformedJson', `the record is not UTF-8 text: ${(err as Error).message}`);
    }
    return rowsOf(text, columns, columnIndex, caseInsensitive);
  };

  return {
    format: 'parquet',
    extension: '.parquet',
    check(batch) {
      const items: number[] = [];
      const failed: ItemFailure[] = [];
      batch.forEach((record, index) => {
        try {
          const row = convert(record);
          if (typeof record === 'object' && record !== null) rows.set(record, row);
          items.push(index);
        } catch (err) {
          if (!(err instanceof FormatConversionError)) throw err;
          failed.push({ index, errorCode: err.errorCode, errorMessage: err.message, retriable: false });
        }
      });
      return { items, failed };
    },
    encode(records) {
      const converted = records.flatMap(
        (record) => (typeof record === 'object' && record !== null ? rows.get(record) : undefined) ?? convert(record),
      );
      return writeParquetRows(columns, converted, compression, pageSizeBytes);
    },
  };
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
    if (typeof type !== 'string' || !(PARQUET_COLUMN_TYPES as readonly string[]).includes(type)) {
      throw new InvalidOptionError(COMPONENT, `columns[${i}].type`, type, `one of ${PARQUET_COLUMN_TYPES.join(', ')}`);
    }
    return { name, type: type as ParquetColumn['type'] };
  });
}
