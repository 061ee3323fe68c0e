import { Buffer } from 'node:buffer';
import { dataOf } from '../../records/dataOf.js';
import type { BuiltRequest, DeliveryRequest, ItemFailure } from '../Destination.js';

/** A batch as COPY text rows: one body, and where each record's row starts in it. */
export interface CopyRequest extends DeliveryRequest {
  /** Every row, tab-separated columns, each ending in `\n` (COPY's text format). */
  readonly body: Buffer;
  /** `offsets[k]` is where the row of `items[k]` starts in `body`; `offsets[items.length]` is its end. */
  readonly offsets: readonly number[];
}

const BACKSLASH = 0x5c;
const NEEDS_ESCAPE = /[\\\n\r\t]/;

/** A value in COPY's text format: backslash, newline, carriage return and tab escaped. */
function escapeText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** A JSON value as one COPY field: `\N` for missing or null, strings as they are, anything else as JSON text. */
function field(value: unknown): string {
  if (value === undefined || value === null) return '\\N';
  if (typeof value === 'string') return escapeText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return escapeText(JSON.stringify(value));
}

/**
 * A record's JSON bytes as one field, without decoding them: trailing whitespace (the newline Firehose's
 * delimiter adds) dropped, backslashes doubled and line breaks and tabs (whitespace between JSON tokens)
 * escaped. The database checks the JSON itself, so a record that is not JSON fails with its message.
 */
function rawJsonField(data: Uint8Array): Buffer {
  let end = data.byteLength;
  while (end > 0 && (data[end - 1] === 0x0a || data[end - 1] === 0x0d || data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
  let extra = 0;
  for (let i = 0; i < end; i++) {
    const b = data[i]!;
    if (b === BACKSLASH || b === 0x0a || b === 0x0d || b === 0x09) extra++;
  }
  const out = Buffer.allocUnsafe(end + extra + 1);
  if (extra === 0) out.set(data.subarray(0, end), 0);
  else {
    let o = 0;
    for (let i = 0; i < end; i++) {
      const b = data[i]!;
      if (b === BACKSLASH || b === 0x0a || b === 0x0d || b === 0x09) {
        out[o++] = BACKSLASH;
        out[o++] = b === BACKSLASH ? BACKSLASH : b === 0x0a ? 0x6e : b === 0x0d ? 0x72 : 0x74;
      } else out[o++] = b;
    }
  }
  out[end + extra] = 0x0a;
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request builder of `postgresDestination`: the batch as rows of COPY's text format, once. With
 * `fields`, each record must be a JSON object (UTF-8): its fields, in column order, become the row; a
 * record that is not one fails at once (`Postgres.InvalidRecord`, not retried). Without `fields` (one JSON
 * column), each record's bytes are the row's only field, as they are.
 */
export function buildCopyRequest(
  batch: readonly unknown[],
  fields: readonly string[] | undefined,
  batchId: string,
): BuiltRequest<CopyRequest> {
  const items: number[] = [];
  const failed: ItemFailure[] = [];
  const chunks: Buffer[] = [];
  const offsets: number[] = [0];
  let bytes = 0;
  const fail = (index: number, errorMessage: string): void =>
    void failed.push({ index, errorCode: 'Postgres.InvalidRecord', errorMessage, retriable: false });
  for (let index = 0; index < batch.length; index++) {
    let data: Uint8Array;
    try {
      data = dataOf(batch[index]);
    } catch (err) {
      fail(index, (err as Error).message);
      continue;
    }
    let row: Buffer;
    if (fields === undefined) row = rawJsonField(data);
    else {
      let value: unknown;
      try {
        value = JSON.parse(utf8.decode(data));
      } catch (err) {
        fail(index, `the record is not JSON: ${(err as Error).message}`);
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(
          index,
          `the record is JSON but not an object (${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}): columns are filled from an object's fields`,
        );
        continue;
      }
      const object = value as Record<string, unknown>;
      let line = '';
      for (let f = 0; f < fields.length; f++) line += (f === 0 ? '' : '\t') + field(object[fields[f]!]);
      row = Buffer.from(line + '\n', 'utf8');
    }
    items.push(index);
    chunks.push(row);
    bytes += row.byteLength;
    offsets.push(bytes);
  }
  if (items.length === 0) return { failed };
  return { request: { ids: [batchId], items, bytes, body: Buffer.concat(chunks, bytes), offsets }, failed };
}
