import type { ParquetColumn, ParquetRow } from './ParquetColumn.js';
import { FormatConversionError } from './FormatConversionError.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;
const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
const INTEGER = /^\s*[-+]?\d+\s*$/;
/** `yyyy-MM-dd HH:mm:ss[.fff…]` (Hive's timestamp text) or ISO 8601 with `T`, optionally with a zone. */
const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads one record's text as a row of `columns`, as the OpenX JSON SerDe reads a record for a Hive table:
 * the text must be one JSON object (surrounding whitespace, such as a trailing newline, is allowed); its
 * top-level fields are matched to columns by name (case-insensitively unless `caseInsensitive` is false);
 * fields without a column are ignored; a missing field or `null` gives `null`. Values are converted to the
 * column's type where the conversion loses nothing (`"42"` into an `int`, `42` into a `string`), and
 * refused otherwise with a {@link FormatConversionError}.
 *
 * `columnIndex` maps a field name (lower-cased when case-insensitive) to its column's index.
 */
export function rowOf(
  text: string,
  columns: readonly ParquetColumn[],
  columnIndex: ReadonlyMap<string, number>,
  caseInsensitive: boolean,
): ParquetRow {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FormatConversionError('DataFormatConversion.MalformedJson', `the record is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatConversionError(
      'DataFormatConversion.MalformedJson',
      `the record is not a JSON object but ${Array.isArray(value) ? 'an array' : String(value === null ? 'null' : typeof value)}`,
    );
  }
  const row: Array<string | boolean | number | bigint | null> = new Array(columns.length).fill(null);
  for (const [field, fieldValue] of Object.entries(value)) {
    const i = columnIndex.get(caseInsensitive ? field.toLowerCase() : field);
    if (i === undefined || fieldValue === null) continue;
    row[i] = convert(fieldValue, columns[i]!);
  }
  return row;
}

function convert(value: unknown, column: ParquetColumn): string | boolean | number | bigint {
  const refuse = (): never => {
    throw new FormatConversionError(
      'DataFormatConversion.SchemaMismatch',
      `field ${JSON.stringify(column.name)}: ${JSON.stringify(value)?.slice(0, 100)} is not a ${column.type}`,
    );
  };
  switch (column.type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return JSON.stringify(value); // an object or array: its JSON text
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return refuse();
    case 'int': {
      const n = typeof value === 'string' && INTEGER.test(value) ? Number(value) : value;
      if (typeof n === 'number' && Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX) return n;
      return refuse();
    }
    case 'bigint': {
      let n: bigint | undefined;
      if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
      else if (typeof value === 'string' && INTEGER.test(value)) n = BigInt(value.trim());
      if (n !== undefined && n >= INT64_MIN && n <= INT64_MAX) return n;
      return refuse();
    }
    case 'float':
    case 'double': {
      const n = typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) return refuse();
      if (column.type === 'float' && Math.abs(n) > FLOAT_MAX) return refuse();
      return n;
    }
    case 'timestamp': {
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value; // epoch milliseconds
      if (typeof value === 'string') {
        const ms = timestampMs(value);
        if (ms !== undefined) return ms;
      }
      return refuse();
    }
  }
}

/** Milliseconds since the epoch of Hive or ISO 8601 timestamp text (UTC unless it names an offset), or `undefined`. */
function timestampMs(text: string): number | undefined {
  const m = TIMESTAMP_TEXT.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const ms = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    fraction === undefined ? 0 : Math.floor(Number(fraction) * 1000),
  );
  // Date.UTC rolls over (Feb 30 → Mar 2): refuse dates that do not exist.
  const check = new Date(ms);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59)
    return undefined;
  if (zone === undefined || zone === 'Z') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return ms - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}
