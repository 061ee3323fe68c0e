import { Buffer, isAscii, isUtf8 } from 'node:buffer';
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
/** Bytes COPY's text format escapes (backslash, newline, carriage return, tab) → the letter after the backslash. */
const ESCAPES = new Uint8Array(256);
ESCAPES[BACKSLASH] = BACKSLASH;
ESCAPES[0x0a] = 0x6e;
ESCAPES[0x0d] = 0x72;
ESCAPES[0x09] = 0x74;

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

/** A record's JSON bytes without trailing whitespace (the newline Firehose's delimiter adds): where they end. */
function jsonEnd(data: Uint8Array): number {
  let end = data.byteLength;
  while (end > 0 && isTrailingBlank(data[end - 1]!)) end--;
  return end;
}

/**
 * Writes a record's JSON bytes `[0, end)` as one field and its row's newline at `out[at]`, without decoding
 * them: backslashes doubled, line breaks and tabs (whitespace between JSON tokens) escaped; `first` is the
 * first byte that needs it. Returns the end.
 */
function writeRawJson(data: Uint8Array, first: number, end: number, out: Buffer, at: number): number {
  out.set(data.subarray(0, first), at);
  let o = at + first;
  let from = first;
  for (let i = first; i < end; i++) {
    const escaped = ESCAPES[data[i]!]!;
    if (escaped === 0) continue;
    out.set(data.subarray(from, i), o);
    o += i - from;
    out[o++] = BACKSLASH;
    out[o++] = escaped;
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

/** The first byte in `[0, end)` COPY's text format must escape, or `end` (a plain loop: most JSON has none). */
function firstSpecial(data: Uint8Array, end: number): number {
  for (let i = 0; i < end; i++) if (ESCAPES[data[i]!] !== 0) return i;
  return end;
}

/**
 * Every record's bytes as the one field of its row, in one buffer: each record copied once, sized for no
 * escapes (the common case) and grown when a record needs them.
 */
function rawJsonRows(datas: readonly Uint8Array[]): { body: Buffer; kept?: undefined } {
  return { body: concatenatedRows(datas) ?? escapedRows(datas) };
}

/** Whether a byte is whitespace a record's JSON may end with (line break, blank, tab). */
function isTrailingBlank(b: number): boolean {
  return b === 0x0a || b === 0x0d || b === 0x20 || b === 0x09;
}

/**
 * The common case in native copies and scans: every record ends in exactly one newline and no byte of the
 * batch needs escaping, so the rows are the records' bytes as they are (`Buffer.concat`). `undefined` when
 * that does not hold.
 */
function concatenatedRows(datas: readonly Uint8Array[]): Buffer | undefined {
  for (let r = 0; r < datas.length; r++) {
    const data = datas[r]!;
    const length = data.byteLength;
    if (length < 2 || data[length - 1] !== 0x0a || isTrailingBlank(data[length - 2]!)) return undefined;
  }
  const body = Buffer.concat(datas);
  if (body.indexOf(BACKSLASH) !== -1 || body.indexOf(0x0d) !== -1 || body.indexOf(0x09) !== -1) return undefined;
  // As many newlines as rows: none inside a record.
  let rows = 0;
  for (let at = body.indexOf(0x0a); at !== -1 && rows <= datas.length; at = body.indexOf(0x0a, at + 1)) rows++;
  return rows === datas.length ? body : undefined;
}

/** The rows with escapes: each record copied once, the body sized for none and grown when a record needs them. */
function escapedRows(datas: readonly Uint8Array[]): Buffer {
  let left = datas.length;
  for (let r = 0; r < datas.length; r++) left += datas[r]!.byteLength;
  let body = Buffer.allocUnsafe(left);
  let at = 0;
  for (let r = 0; r < datas.length; r++) {
    const data = datas[r]!;
    left -= data.byteLength + 1;
    const end = jsonEnd(data);
    const special = firstSpecial(data, end);
    if (special === end) {
      // Written whole when its only trailing byte is the newline the row ends with anyway.
      if (end === data.byteLength - 1 && data[end] === 0x0a) body.set(data, at);
      else {
        body.set(end === data.byteLength ? data : data.subarray(0, end), at);
        body[at + end] = 0x0a;
      }
      at += end + 1;
      continue;
    }
    const need = at + 2 * (end - special) + special + 1;
    if (need + left > body.byteLength) {
      const grown = Buffer.allocUnsafe(need + left + (left >> 3));
      body.copy(grown, 0, 0, at);
      body = grown;
    }
    at = writeRawJson(data, special, end, body, at);
  }
  return at === body.byteLength ? body : body.subarray(0, at);
}

/** Whether a byte continues a UTF-8 character (10xxxxxx): a record starting with one cannot be valid alone. */
function isContinuation(data: Uint8Array): boolean {
  return data.byteLength > 0 && (data[0]! & 0xc0) === 0x80;
}

/**
 * Each record's text, decoded in one pass over the batch when its bytes are ASCII (the common case: then
 * byte offsets are character offsets, and each record is a slice of one string), one by one otherwise.
 * `undefined` for a record that is not UTF-8.
 */
function textsOf(datas: readonly Uint8Array[]): (string | undefined)[] {
  const texts = new Array<string | undefined>(datas.length);
  const all = datas.length === 1 ? Buffer.from(datas[0]!.buffer, datas[0]!.byteOffset, datas[0]!.byteLength) : Buffer.concat(datas);
  if (isAscii(all)) {
    const text = all.toString('latin1');
    let at = 0;
    for (let r = 0; r < datas.length; r++) texts[r] = text.slice(at, (at += datas[r]!.byteLength));
    return texts;
  }
  // Valid as a whole and no record starts inside a character: every record is valid UTF-8 alone.
  let valid = isUtf8(all);
  for (let r = 0; valid && r < datas.length; r++) if (isContinuation(datas[r]!)) valid = false;
  for (let r = 0; r < datas.length; r++) {
    const data = datas[r]!;
    const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    texts[r] = valid || isUtf8(buffer) ? buffer.toString('utf8') : undefined;
  }
  return texts;
}

/** Each record's JSON object as a row of `fields`; records that are not UTF-8 JSON objects fail. One string, encoded once. */
function columnRows(
  datas: readonly Uint8Array[],
  fields: readonly string[],
  items: readonly number[],
  fail: (index: number, message: string) => void,
): { body: Buffer; kept: number[] } {
  const kept: number[] = [];
  const texts = textsOf(datas);
  let text = '';
  for (let r = 0; r < datas.length; r++) {
    const decoded = texts[r];
    if (decoded === undefined) {
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
