import { Buffer } from 'node:buffer';
import { gzipSync } from 'node:zlib';
import { optionalPeer } from '../../aws/optionalPeer.js';
import type { HiveType } from './hiveType.js';
import type { ParquetCompression } from './ParquetColumn.js';
import type { ParquetRow } from './rowsOf.js';

// hyparquet-writer is an optional peer: loaded on the first Parquet file, never by importing rx-firehose.
const writer = optionalPeer('hyparquet-writer', 'parquetConversion', () => import('hyparquet-writer'));
// Snappy in native code (a dependency, loaded when first used): faster than the writer's own JavaScript Snappy.
let snappy: Promise<typeof import('snappy')> | undefined;

type SchemaElement = NonNullable<Parameters<typeof import('hyparquet-writer').parquetWriteBuffer>[0]['schema']>[number];

/**
 * One Parquet file of `rows` (values as `valueConverter` makes them): every column nullable (`OPTIONAL`),
 * all rows in one row group, pages compressed with `compression` (GZIP through Node's zlib, SNAPPY through
 * the native `snappy` addon), pages of about `pageSizeBytes` before compression. The schema is explicit
 * (see {@link elementsOf}): timestamps are `INT64` `TIMESTAMP_MILLIS`, dates `INT32` `DATE`, decimals
 * `DECIMAL` on `INT32`, `INT64` or a fixed-length byte array by precision, and nested types the standard
 * three-level `LIST` and `MAP` groups and plain groups for structs.
 */
export async function writeParquetRows(
  columns: ReadonlyArray<{ readonly name: string; readonly type: HiveType }>,
  rows: readonly ParquetRow[],
  compression: ParquetCompression,
  pageSizeBytes: number,
): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await writer();
  const { compressSync } = await (snappy ??= import('snappy'));
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const column of columns) schema.push(...elementsOf(column.name, column.type, 'OPTIONAL'));
  const columnData = columns.map((column, c) => {
    const data = new Array<unknown>(rows.length);
    for (let r = 0; r < rows.length; r++) data[r] = rows[r]![c];
    return { name: column.name, data };
  });
  const buffer = parquetWriteBuffer({
    columnData,
    schema,
    codec: compression,
    compressors: {
      GZIP: (input: Uint8Array) => gzipSync(input),
      SNAPPY: (input: Uint8Array) => compressSync(Buffer.from(input.buffer, input.byteOffset, input.byteLength)),
    },
    rowGroupSize: Math.max(rows.length, 1),
    pageSize: pageSizeBytes,
    createdBy: 'rx-firehose (hyparquet-writer)',
  });
  return new Uint8Array(buffer);
}

/** The schema elements of a column (or nested field) `name` of `type`, depth first, as Parquet lists them. */
function elementsOf(name: string, type: HiveType, repetition_type: 'OPTIONAL' | 'REQUIRED'): SchemaElement[] {
  switch (type.kind) {
    case 'string':
      return [{ name, repetition_type, type: 'BYTE_ARRAY', converted_type: 'UTF8' }];
    case 'binary':
      return [{ name, repetition_type, type: 'BYTE_ARRAY' }];
    case 'boolean':
      return [{ name, repetition_type, type: 'BOOLEAN' }];
    case 'tinyint':
      return [{ name, repetition_type, type: 'INT32', converted_type: 'INT_8' }];
    case 'smallint':
      return [{ name, repetition_type, type: 'INT32', converted_type: 'INT_16' }];
    case 'int':
      return [{ name, repetition_type, type: 'INT32' }];
    case 'bigint':
      return [{ name, repetition_type, type: 'INT64' }];
    case 'float':
      return [{ name, repetition_type, type: 'FLOAT' }];
    case 'double':
      return [{ name, repetition_type, type: 'DOUBLE' }];
    case 'timestamp':
      return [{ name, repetition_type, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }];
    case 'date':
      return [{ name, repetition_type, type: 'INT32', converted_type: 'DATE' }];
    case 'decimal': {
      const { precision, scale } = type;
      const decimal = { name, repetition_type, converted_type: 'DECIMAL', precision, scale } as const;
      if (precision <= 9) return [{ ...decimal, type: 'INT32' }];
      if (precision <= 18) return [{ ...decimal, type: 'INT64' }];
      // The fewest bytes whose two's complement holds 10^precision − 1.
      const type_length = Math.ceil(((10n ** BigInt(precision) - 1n).toString(2).length + 1) / 8);
      return [{ ...decimal, type: 'FIXED_LEN_BYTE_ARRAY', type_length }];
    }
    case 'array':
      return [
        { name, repetition_type, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...elementsOf('element', type.element, 'OPTIONAL'),
      ];
    case 'map':
      return [
        { name, repetition_type, converted_type: 'MAP', num_children: 1 },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        ...elementsOf('key', type.key, 'REQUIRED'),
        ...elementsOf('value', type.value, 'OPTIONAL'),
      ];
    case 'struct':
      return [
        { name, repetition_type, num_children: type.fields.length },
        ...type.fields.flatMap((f) => elementsOf(f.name, f.type, 'OPTIONAL')),
      ];
  }
}
