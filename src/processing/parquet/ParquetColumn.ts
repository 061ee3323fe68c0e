/**
 * A column's type, named as Glue (Hive) names it in a table's schema: `string`, `boolean`, `int` (32-bit),
 * `bigint` (64-bit), `float`, `double`, `timestamp` (stored as milliseconds since the epoch, UTC).
 */
export type ParquetColumnType = 'string' | 'boolean' | 'int' | 'bigint' | 'float' | 'double' | 'timestamp';

/** The column types, in the order the docs list them. */
export const PARQUET_COLUMN_TYPES: readonly ParquetColumnType[] = ['string', 'boolean', 'int', 'bigint', 'float', 'double', 'timestamp'];

/** One column of the explicit schema: a name (matched against the JSON record's top-level fields) and a type. */
export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
}

/** Parquet's compression codecs, as `ParquetSerDe.Compression` names them. */
export type ParquetCompression = 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';

/** One converted record: a value (or `null`) per column, in the schema's order. */
export type ParquetRow = ReadonlyArray<string | boolean | number | bigint | null>;
