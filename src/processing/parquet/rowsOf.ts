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
 * Reads one record's text as rows of `columns`, as the OpenX JSON SerDe reads a record for a Hive table: the
 * text is one JSON object, or several written one after the other (`{"a":1}{"a":2}`, as Firehose accepts;
 * an array of objects is not), with any whitespace around and between them. Each object's top-level fields
 * are matched to columns by name (case-insensitively unless `caseInsensitive` is false); fields without a
 * column are ignored; a missing field or `null` gives `null`. Values are converted to the column's type
 * where the conversion loses nothing (`"42"` into an `int`, `42` into a `string`), and refused otherwise
 * with a {@link FormatConversionError}: then the whole record fails.
 *
 * `columnIndex` maps a field name (lower-cased when case-insensitive) to its column's index.
 */
export function rowsOf(
  text: string,
  columns: readonly ParquetColumn[],
  columnIndex: ReadonlyMap<string, number>,
  caseInsensitive: boolean,
): ParquetRow[] {
  return documentsOf(text).map((document) => {
    let value: unknown;
    try {
      value = JSON.parse(document);
    } catch (err) {
      throw new FormatConversionError('DataFormatConversion.MalformedJson', `the record is not JSON: ${(err as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FormatConversionError(
        'DataFormatConversion.MalformedJson',
        `the record is not a JSON object but ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
      );
    }
    const row: Array<string | boolean | number | bigint | null> = new Array(columns.length).fill(null);
    for (const [field, fieldValue] of Object.entries(value)) {
      const i = columnIndex.get(caseInsensitive ? field.toLowerCase() : field);
      if (i === undefined || fieldValue === null) continue;
      row[i] = convert(fieldValue, columns[i]!);
    }
    return row;
  });
}

/**
 * The JSON texts of a record: the whole text when it holds one value, else each top-level `{…}` of a
 * concatenation, found by counting braces outside strings. What is not an object stays as it is, for
 * `JSON.parse` to refuse.
 */
function documentsOf(text: string): string[] {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return [text];
  const documents: string[] = [];
  let depth = 0;
  let inString = false;
  let from = start;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) {
      documents.push(text.slice(from, i + 1));
      const next = text.slice(i + 1).search(/\S/);
      if (next < 0) return documents;
      from = i + 1 + next;
      i = from - 1;
      if (text[from] !== '{') return [...documents, text.slice(from)];
    }
  }
  return [...documents, text.slice(from)];
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
