import type { Buffer } from 'node:buffer';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkEnvelope, decodeRecord, parseRequestBody, type Body, type RequestBody } from './parseRequestBody.js';
import type { HttpEndpointRecord } from './protocol.js';
import { Rejection } from './Rejection.js';

/** The deepest JSON nesting accepted: the protocol needs 3 (`{"records":[{"data"}]}`); deeper bodies get 400. */
export const MAX_JSON_DEPTH = 32;
/** Bytes scanned or parsed between two turns of the event loop. */
const SLICE_BYTES = 262_144;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * {@link parseRequestBody}, without stalling the event loop on a large body or without bound on a deeply
 * nested one: one pass over the bytes, a slice at a time with a turn of the event loop in between, refuses
 * nesting deeper than {@link MAX_JSON_DEPTH} (400) and finds the `records` array's elements; then the
 * envelope and each record are parsed on their own, again a slice at a time. Other bodies (already parsed by
 * a framework, or without a top-level `records` array) go to {@link parseRequestBody} as they are.
 */
export async function parseRequestBodyResponsively(body: Body): Promise<RequestBody> {
  if ('parsed' in body) return parseRequestBody(body);
  const bytes = body.bytes;
  const found = await scan(bytes);
  if (found === undefined) return parseRequestBody(body);

  let envelope: unknown;
  try {
    envelope = JSON.parse(bytes.toString('utf8', 0, found.open + 1) + bytes.toString('utf8', found.close));
  } catch (err) {
    throw new Rejection(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope))
    throw new Rejection(400, 'the body must be a JSON object');
  // A later "records" key that is not an array wins in JSON: then the envelope is the body as it is.
  const placeholder = (envelope as { records?: unknown }).records;
  if (!Array.isArray(placeholder) || placeholder.length > 0) return parseRequestBody({ parsed: envelope });
  // The envelope's fields first (the record count from the scan), then each record, a slice at a time.
  const checked = checkEnvelope({ ...(envelope as object), records: found.elements });
  const records: HttpEndpointRecord[] = [];
  let sinceTurn = 0;
  for (const [start, end] of found.elements) {
    let element: unknown;
    try {
      element = JSON.parse(bytes.toString('utf8', start, end));
    } catch (err) {
      throw new Rejection(400, `the body is not valid JSON: records[${records.length}]: ${(err as Error).message}`);
    }
    records.push(decodeRecord(element, records.length));
    sinceTurn += end - start;
    if (sinceTurn >= SLICE_BYTES) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  return { requestId: checked.requestId, timestampMs: checked.timestampMs, records };
}

/** Where the top-level `records` array is, and its elements' byte ranges; `undefined` when there is none. */
interface RecordsArray {
  readonly open: number;
  readonly close: number;
  readonly elements: ReadonlyArray<readonly [number, number]>;
}

async function scan(bytes: Buffer): Promise<RecordsArray | undefined> {
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  let expectKey = false; // at depth 1, the next string is a key
  let key: string | undefined; // the last key read at depth 1
  let current: { open: number; elements: Array<readonly [number, number]> } | undefined; // inside the records array
  let elementStart = -1;
  let afterComma = false; // inside the records array, a comma came and no element after it yet
  let last: RecordsArray | undefined;
  // The container kinds on the path from the top, as a string of '{' and '[' (bounded by MAX_JSON_DEPTH).
  let kinds = '';
  const length = bytes.length;
  let nextTurnAt = SLICE_BYTES;
  for (let i = 0; i < length; i++) {
    if (i >= nextTurnAt) {
      nextTurnAt = i + SLICE_BYTES;
      await nextTurn();
    }
    if (inString) {
      // Jump to the string's closing quote: the next quote not escaped by an odd run of backslashes.
      let quote = bytes.indexOf(QUOTE, i);
      for (;;) {
        if (quote < 0) return last; // unterminated: the whole parse reports it
        let backslashes = 0;
        while (quote - 1 - backslashes >= i && bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
        quote = bytes.indexOf(QUOTE, quote + 1);
      }
      i = quote;
      inString = false;
      if (depth === 1 && expectKey) {
        try {
          key = JSON.parse(bytes.toString('utf8', stringStart, i + 1)) as string;
        } catch {
          key = undefined;
        }
        expectKey = false;
      }
      continue;
    }
    const c = bytes[i]!;
    switch (c) {
      case QUOTE:
        inString = true;
        stringStart = i;
        if (current !== undefined && depth === 2 && elementStart < 0) elementStart = i;
        break;
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (current !== undefined && depth === 2 && elementStart < 0) elementStart = i;
        depth++;
        if (depth > MAX_JSON_DEPTH) throw new Rejection(400, `the body nests JSON deeper than ${MAX_JSON_DEPTH} levels`);
        kinds += c === OPEN_OBJECT ? '{' : '[';
        if (depth === 1) expectKey = c === OPEN_OBJECT;
        if (depth === 2 && c === OPEN_ARRAY && kinds === '{[' && key === 'records') {
          current = { open: i, elements: [] };
          elementStart = -1;
        }
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (current !== undefined && depth === 2) {
          if (elementStart >= 0 || afterComma) current.elements.push([elementStart < 0 ? i : elementStart, i]); // an empty one fails to parse
          afterComma = false;
          last = { open: current.open, close: i, elements: current.elements };
          current = undefined;
          elementStart = -1;
        }
        depth--;
        kinds = kinds.slice(0, -1);
        if (depth < 0) throw new Rejection(400, 'the body is not valid JSON: a bracket closes what was not open');
        break;
      case COMMA:
        if (depth === 1) expectKey = true;
        if (current !== undefined && depth === 2) {
          current.elements.push([elementStart < 0 ? i : elementStart, i]);
          elementStart = -1;
          afterComma = true;
        }
        break;
      case COLON:
        break;
      default:
        // Numbers, true, false, null as elements; whitespace does not start one.
        if (current !== undefined && depth === 2 && elementStart < 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09)
          elementStart = i;
    }
  }
  return last;
}
