import { Buffer, isUtf8 } from 'node:buffer';
import { dataOf } from '../../records/dataOf.js';
import type { BuiltRequest, DeliveryRequest, ItemFailure } from '../Destination.js';

/** A batch as COPY text rows: one body, and where each record's row starts in it. */
export interface CopyRequest extends DeliveryRequest {
  /**
   * Every row, tab-separated columns, each ending in `\n` (COPY's text format, where a newline inside a value
   * is escaped: so row `k`, the row of `items[k]`, is what follows the `k`-th newline).
   */
  readonly body: Buffer;
}

/** Where each row of `body` starts, and where the last ends (`items.length + 1` offsets): found from its newlines, when needed. */
export function rowOffsets(body: Buffer): number[] {
  const offsets = [0];
  for (let at = body.indexOf(0x0a); at !== -1; at = body.indexOf(0x0a, at + 1)) offsets.push(at + 1);
  return offsets;
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

/** Bytes that need escaping in COPY's text format: backslash, newline, carriage return, tab. */
function isSpecial(b: number): boolean {
  return b === BACKSLASH || b === 0x0a || b === 0x0d || b === 0x09;
}

/** A record's JSON bytes without trailing whitespace (the newline Firehose's delimiter adds): where they end. */
function jsonEnd(data: Uint8Array): number {
  let end = data.byteLength;
  while (end > 0 && (data[end - 1] === 0x0a || data[end - 1] === 0x0d || data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
  return end;
}

/**
 * Writes a record's JSON bytes as one field and its row's newline at `out[at]`, without decoding them:
 * backslashes doubled, line breaks and tabs (whitespace between JSON tokens) escaped. Returns the end.
 */
function writeRawJson(data: Uint8Array, end: number, out: Buffer, at: number): number {
  let o = at;
  let from = 0;
  for (let i = 0; i < end; i++) {
    const b = data[i]!;
    if (!isSpecial(b)) continue;
    out.set(data.subarray(from, i), o);
    o += i - from;
    out[o++] = BACKSLASH;
    out[o++] = b === BACKSLASH ? BACKSLASH : b === 0x0a ? 0x6e : b === 0x0d ? 0x72 : 0x74;
    from = i + 1;
  }
  out.set(data.subarray(from, end), o);
  o += end - from;
  out[o++] = 0x0a;
  return o;
}

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
  const fail = (index: number, errorMessage: string): void =>
    void failed.push({ index, errorCode: 'Postgres.InvalidRecord', errorMessage, retriable: false });
  const datas: Uint8Array[] = [];
  for (let index = 0; index < batch.length; index++) {
    try {
      datas.push(dataOf(batch[index]));
      items.push(index);
    } catch (err) {
      fail(index, (err as Error).message);
    }
  }
  const request = fields === undefined ? rawJsonRows(datas) : columnRows(datas, fields, items, fail);
  const kept = request.kept === undefined ? items : request.kept;
  if (kept.length === 0) return { failed };
  return {
    request: { ids: [batchId], items: kept, bytes: request.body.byteLength, body: request.body },
    failed: failed.sort((a, b) => a.index - b.index),
  };
}

/** Whether bytes `[0, end)` hold a byte COPY's text format must escape (native scans: most JSON has none). */
function hasSpecial(data: Uint8Array, end: number): boolean {
  const view = end === data.byteLength ? data : data.subarray(0, end);
  return view.indexOf(BACKSLASH) !== -1 || view.indexOf(0x0a) !== -1 || view.indexOf(0x0d) !== -1 || view.indexOf(0x09) !== -1;
}

/** Every record's bytes as the one field of its row, in one buffer (sized first, then written). */
function rawJsonRows(datas: readonly Uint8Array[]): { body: Buffer; kept?: undefined } {
  let size = 0;
  const ends = new Array<number>(datas.length);
  const special = new Array<boolean>(datas.length);
  for (let r = 0; r < datas.length; r++) {
    const data = datas[r]!;
    const end = jsonEnd(data);
    ends[r] = end;
    let extra = 0;
    if ((special[r] = hasSpecial(data, end))) for (let i = 0; i < end; i++) if (isSpecial(data[i]!)) extra++;
    size += end + extra + 1;
  }
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (let r = 0; r < datas.length; r++) {
    const data = datas[r]!;
    const end = ends[r]!;
    if (special[r]) at = writeRawJson(data, end, body, at);
    else {
      body.set(end === data.byteLength ? data : data.subarray(0, end), at);
      at += end;
      body[at++] = 0x0a;
    }
  }
  return { body };
}

/** Each record's JSON object as a row of `fields`; records that are not UTF-8 JSON objects fail. One string, encoded once. */
function columnRows(
  datas: readonly Uint8Array[],
  fields: readonly string[],
  items: readonly number[],
  fail: (index: number, message: string) => void,
): { body: Buffer; kept: number[] } {
  const kept: number[] = [];
  let text = '';
  for (let r = 0; r < datas.length; r++) {
    const data = datas[r]!;
    const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const decoded = buffer.toString('utf8');
    // Invalid UTF-8 decodes to U+FFFD: only then is the (native) check worth its cost.
    if (decoded.includes('\uFFFD') && !isUtf8(buffer)) {
      fail(items[r]!, 'the record is not UTF-8 text');
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(decoded);
    } catch (err) {
      fail(items[r]!, `the record is not JSON: ${(err as Error).message}`);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
      fail(items[r]!, `the record is JSON but not an object (${kind}): columns are filled from an object's fields`);
      continue;
    }
    const object = value as Record<string, unknown>;
    let line = field(object[fields[0]!]);
    for (let f = 1; f < fields.length; f++) line += `\t${field(object[fields[f]!])}`;
    line += '\n';
    text += line;
    kept.push(items[r]!);
  }
  return { body: Buffer.from(text, 'utf8'), kept };
}
