import { Buffer } from 'node:buffer';
import { isBase64 } from './isBase64.js';
import { MAX_RECORD_DATA_CHARS, MAX_RECORDS_PER_REQUEST, type HttpEndpointRecord } from './protocol.js';
import { Rejection } from './Rejection.js';

/** A request body: its bytes (decompressed), or, when a framework already parsed the JSON, that value. */
export type Body = { readonly bytes: Buffer } | { readonly parsed: unknown };

/** A request body that follows the protocol's schema. */
export interface RequestBody {
  readonly requestId: string;
  readonly timestampMs: number | undefined;
  readonly records: HttpEndpointRecord[];
}

/**
 * Parses and checks a request body against the protocol's schema: a JSON object with a string
 * `requestId`, an optional integer `timestamp`, and 1–10,000 `records`, each `{ "data": "<base64>" }` of at
 * most 1,365,336 characters (1,024,000 bytes). Other fields are ignored. Throws a 400 {@link Rejection}
 * saying what is wrong.
 */
export function parseRequestBody(body: Body): RequestBody {
  let value: unknown;
  if ('parsed' in body) value = body.parsed;
  else {
    try {
      value = JSON.parse(body.bytes.toString('utf8'));
    } catch (err) {
      throw new Rejection(400, `the body is not valid JSON: ${(err as Error).message}`);
    }
  }
  const envelope = checkEnvelope(value);
  return { ...envelope, records: envelope.records.map(decodeRecord) };
}

/** The body's fields checked, its records not yet decoded. Throws a 400 {@link Rejection} saying what is wrong. */
export function checkEnvelope(value: unknown): { requestId: string; timestampMs: number | undefined; records: unknown[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Rejection(400, 'the body must be a JSON object');
  const { requestId, timestamp, records } = value as { requestId?: unknown; timestamp?: unknown; records?: unknown };
  if (typeof requestId !== 'string' || requestId === '') throw new Rejection(400, 'requestId is missing or not a non-empty string');
  if (timestamp !== undefined && (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp))) {
    throw new Rejection(400, 'timestamp must be an integer (milliseconds since the epoch)');
  }
  if (!Array.isArray(records)) throw new Rejection(400, 'records is missing or not an array');
  if (records.length < 1 || records.length > MAX_RECORDS_PER_REQUEST) {
    throw new Rejection(400, `records has ${records.length} items; a request carries 1 to ${MAX_RECORDS_PER_REQUEST}`);
  }
  return { requestId, timestampMs: timestamp as number | undefined, records };
}

/** The `i`th record, checked and decoded. Throws a 400 {@link Rejection} saying what is wrong. */
export function decodeRecord(record: unknown, i: number): HttpEndpointRecord {
  const data = typeof record === 'object' && record !== null ? (record as { data?: unknown }).data : undefined;
  if (typeof data !== 'string') throw new Rejection(400, `records[${i}].data is missing or not a string`);
  if (data.length > MAX_RECORD_DATA_CHARS)
    throw new Rejection(400, `records[${i}].data has ${data.length} characters; at most ${MAX_RECORD_DATA_CHARS} are allowed`);
  if (!isBase64(data)) throw new Rejection(400, `records[${i}].data is not valid base64`);
  return { data: Buffer.from(data, 'base64') };
}
