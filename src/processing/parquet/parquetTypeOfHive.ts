import type { ParquetColumnType } from './ParquetColumn.js';

/** Hive type names (as a Glue table lists them) of the column types, besides the types' own names. */
const ALIASES: Readonly<Record<string, ParquetColumnType>> = {
  string: 'string',
  integer: 'int',
  int: 'int',
  bigint: 'bigint',
  float: 'float',
  double: 'double',
  boolean: 'boolean',
  timestamp: 'timestamp',
};

/** The Hive types a Glue table's columns may have here, for messages. */
export const HIVE_TYPES_SUPPORTED = 'string, char(n), varchar(n), int, bigint, float, double, boolean, timestamp';

/**
 * The column type of a Hive type as a Glue table's `StorageDescriptor.Columns` lists it (`char(10)` and
 * `varchar(10)` are strings), or `undefined` for one the Parquet writer does not write here (`decimal(p,s)`,
 * `date`, `tinyint`, `smallint`, `binary`, and the nested `array<…>`, `map<…>`, `struct<…>`).
 */
export function parquetTypeOfHive(hiveType: string): ParquetColumnType | undefined {
  const type = hiveType.trim().toLowerCase();
  if (/^(?:var)?char\(\s*\d+\s*\)$/.test(type)) return 'string';
  return Object.hasOwn(ALIASES, type) ? ALIASES[type] : undefined;
}
