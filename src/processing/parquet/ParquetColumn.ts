import type { HivePrimitiveKind } from './hiveType.js';

/**
 * A column's type, named as Glue (Hive) names it in a table's schema (case and spaces do not matter):
 * `string` (also `char(n)`, `varchar(n)`), `boolean`, `tinyint` (8-bit), `smallint` (16-bit), `int` (32-bit),
 * `bigint` (64-bit), `float`, `double`, `decimal(p,s)` (precision 1–38, scale 0–p), `timestamp` (stored as
 * milliseconds since the epoch, UTC), `date`, `binary` (base64 in JSON), and the nested `array<T>`,
 * `map<K,V>` (K a primitive) and `struct<name:T,…>`.
 */
export type ParquetColumnType =
  | HivePrimitiveKind
  | 'decimal'
  | `decimal(${number},${number})`
  | `decimal(${number})`
  | `char(${number})`
  | `varchar(${number})`
  | `array<${string}>`
  | `map<${string},${string}>`
  | `struct<${string}>`;

/** One column of the explicit schema: a name (matched against the JSON record's top-level fields) and a type. */
export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
}

/** Parquet's compression codecs, as `ParquetSerDe.Compression` names them. */
export type ParquetCompression = 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
