import { FormatConversionError } from './FormatConversionError.js';
import { parseHiveType, type HiveType } from './hiveType.js';
import type { ParquetCompression } from './ParquetColumn.js';
import { rowsOf, type ParquetRow } from './rowsOf.js';
import { timestampFormat, type TimestampParser } from './timestampFormat.js';
import { valueConverter, type ValueConverter } from './valueConverter.js';
import { writeParquetRows } from './writeParquetRows.js';

/** What converting needs to know, checked by `parquetConversion`: plain data, so that it can be posted to a worker thread. */
export interface ConversionSettings {
  /** The columns, each type a Hive type name that `parseHiveType` reads. */
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly compression: ParquetCompression;
  readonly caseInsensitive: boolean;
  readonly pageSizeBytes: number;
  /** `HiveJsonSerDe`'s `TimestampFormats`, tried in order before the default timestamp rules (see `timestampFormat`). */
  readonly timestampFormats?: readonly string[] | undefined;
}

/** A record that did not convert: its index in the batch and Firehose's error code. */
export interface ConversionFailure {
  readonly index: number;
  readonly errorCode: FormatConversionError['errorCode'];
  readonly errorMessage: string;
}

/** A converted batch: the records that did not convert, and one Parquet file per group of records that did. */
export interface ConvertedBatch {
  readonly failed: ConversionFailure[];
  /** In ascending group order, only groups with at least one converted record; each holds them in batch order. */
  readonly files: Array<{ readonly group: number; readonly body: Uint8Array }>;
}

interface Prepared {
  readonly columns: Array<{ readonly name: string; readonly type: HiveType; readonly convert: ValueConverter }>;
  readonly index: Map<string, number>;
}

const prepared = new WeakMap<ConversionSettings, Prepared>();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Converts a batch, the whole of a record format conversion: reads each record (UTF-8 JSON) as rows of the
 * schema, and writes the rows of the records that converted as one Parquet file per group (`groups[i]` is
 * record i's group, −1 for none: checked, not written; without `groups`, all records are group 0). A
 * record that does not convert is a failure with `DataFormatConversion.MalformedJson` or
 * `DataFormatConversion.SchemaMismatch`; any other error (the writer not installed) rejects.
 *
 * The same code runs in the conversion's worker threads and, without them, on the caller's thread.
 */
export async function convertBatch(
  settings: ConversionSettings,
  records: readonly Uint8Array[],
  groups?: Int32Array,
): Promise<ConvertedBatch> {
  const { columns, index } = preparedOf(settings);
  const failed: ConversionFailure[] = [];
  const rowsByGroup = new Map<number, ParquetRow[]>();
  records.forEach((data, i) => {
    const group = groups === undefined ? 0 : groups[i]!;
    let rows: ParquetRow[];
    try {
      let text: string;
      try {
        text = decoder.decode(data);
      } catch (err) {
        throw new FormatConversionError('DataFormatConversion.MalformedJson', `the record is not UTF-8 text: ${(err as Error).message}`);
      }
      rows = rowsOf(text, columns, index, settings.caseInsensitive);
    } catch (err) {
      if (!(err instanceof FormatConversionError)) throw err;
      failed.push({ index: i, errorCode: err.errorCode, errorMessage: err.message });
      return;
    }
    if (group < 0) return;
    const into = rowsByGroup.get(group);
    if (into === undefined) rowsByGroup.set(group, rows);
    else for (const row of rows) into.push(row);
  });
  const files: ConvertedBatch['files'] = [];
  for (const group of [...rowsByGroup.keys()].sort((a, b) => a - b)) {
    const body = await writeParquetRows(columns, rowsByGroup.get(group)!, settings.compression, settings.pageSizeBytes);
    files.push({ group, body });
  }
  return { failed, files };
}

function preparedOf(settings: ConversionSettings): Prepared {
  let p = prepared.get(settings);
  if (p === undefined) {
    const parsers = (settings.timestampFormats ?? []).map((format) => {
      const parser = timestampFormat(format);
      if (typeof parser === 'string') throw new Error(`timestamp format ${JSON.stringify(format)}: ${parser}`);
      return parser;
    });
    const columns = settings.columns.map(({ name, type }) => {
      const hive = parseHiveType(type);
      if (hive === undefined) throw new Error(`column ${JSON.stringify(name)}: ${JSON.stringify(type)} is not a Hive type`);
      return { name, type: hive, convert: valueConverter(hive, settings.caseInsensitive, parsers) };
    });
    const index = new Map(columns.map((c, i) => [settings.caseInsensitive ? c.name.toLowerCase() : c.name, i]));
    p = { columns, index };
    prepared.set(settings, p);
  }
  return p;
}
