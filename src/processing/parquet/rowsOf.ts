import { FormatConversionError } from './FormatConversionError.js';
import type { ValueConverter } from './valueConverter.js';

/** One converted record: a value (or `null`) per column, in the schema's order. */
export type ParquetRow = readonly unknown[];

/**
 * Reads one record's text as rows of `columns`, as the OpenX JSON SerDe reads a record for a Hive table: the
 * text is one JSON object, or several written one after the other (`{"a":1}{"a":2}`, as Firehose accepts;
 * an array of objects is not), with any whitespace around and between them. Each object's top-level fields
 * are matched to columns by name (case-insensitively unless `caseInsensitive` is false); fields without a
 * column are ignored; a missing field or `null` gives `null`. Values are converted by the column's
 * converter (see `valueConverter`), which refuses what does not fit with a {@link FormatConversionError}:
 * then the whole record fails.
 *
 * `columnIndex` maps a field name (lower-cased when case-insensitive) to its column's index.
 */
export function rowsOf(
  text: string,
  columns: ReadonlyArray<{ readonly name: string; readonly convert: ValueConverter }>,
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
    const row: unknown[] = new Array(columns.length).fill(null);
    for (const [field, fieldValue] of Object.entries(value)) {
      const i = columnIndex.get(caseInsensitive ? field.toLowerCase() : field);
      if (i === undefined || fieldValue === null) continue;
      const column = columns[i]!;
      row[i] = column.convert(fieldValue, column.name);
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
