import { Buffer } from 'node:buffer';
import { gzipSync } from 'node:zlib';
import { optionalPeer } from '../../aws/optionalPeer.js';
import type { ParquetColumn, ParquetCompression, ParquetRow } from './ParquetColumn.js';

// hyparquet-writer is an optional peer: loaded on the first Parquet file, never by importing rx-firehose.
const writer = optionalPeer('hyparquet-writer', 'parquetConversion', () => import('hyparquet-writer'));
// Snappy in native code (a dependency, loaded when first used): faster than the writer's own JavaScript Snappy.
let snappy: Promise<typeof import('snappy')> | undefined;

const TYPES = {
  string: 'STRING',
  boolean: 'BOOLEAN',
  int: 'INT32',
  bigint: 'INT64',
  float: 'FLOAT',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMP',
} as const;

/**
 * One Parquet file of `rows`: every column nullable (`OPTIONAL`), all rows in one row group, pages
 * compressed with `compression` (GZIP through Node's zlib, SNAPPY through the native `snappy` addon). Timestamps are
 * `INT64` with the `TIMESTAMP_MILLIS` annotation. Pages hold about `pageSizeBytes` before compression.
 */
export async function writeParquetRows(
  columns: readonly ParquetColumn[],
  rows: readonly ParquetRow[],
  compression: ParquetCompression,
  pageSizeBytes: number,
): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await writer();
  const { compressSync } = await (snappy ??= import('snappy'));
  const columnData = columns.map((column, c) => {
    const data = new Array<unknown>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const v = rows[r]![c]!;
      data[r] = column.type === 'timestamp' && v !== null ? new Date(v as number) : v;
    }
    return { name: column.name, data, type: TYPES[column.type], nullable: true };
  });
  const buffer = parquetWriteBuffer({
    columnData,
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
