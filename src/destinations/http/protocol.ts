/**
 * Firehose's HTTP endpoint delivery protocol, version 1.0: the names and limits both ends share
 * (`httpEndpointDestination` sends by them, `httpEndpointListener` checks them).
 *
 * From AWS's "HTTP endpoint delivery request and response specifications" (Firehose developer guide).
 */

/** `X-Amz-Firehose-Protocol-Version`: the only version there is. */
export const PROTOCOL_VERSION = '1.0';

/** The protocol's headers, lower-cased as Node presents incoming headers. */
export const HEADERS = {
  protocolVersion: 'x-amz-firehose-protocol-version',
  requestId: 'x-amz-firehose-request-id',
  sourceArn: 'x-amz-firehose-source-arn',
  accessKey: 'x-amz-firehose-access-key',
  commonAttributes: 'x-amz-firehose-common-attributes',
} as const;

const MIB = 1_048_576;

/** Records per request: 1 to 10,000. */
export const MAX_RECORDS_PER_REQUEST = 10_000;
/** The largest request body, before compression: 64 MiB. */
export const MAX_REQUEST_BODY_BYTES = 64 * MIB;
/** The largest record Firehose carries (`data` before base64): 1,024,000 bytes. */
export const MAX_RECORD_BYTES = 1_024_000;
/** The largest response, headers included, that the sender reads: 1 MiB. */
export const MAX_RESPONSE_BYTES = MIB;
/** The longest `errorMessage` of a response. */
export const MAX_ERROR_MESSAGE_CHARS = 8192;
/** The longest access key. */
export const MAX_ACCESS_KEY_BYTES = 4096;
/** Common attributes: at most 50, names of 1–256 characters, values of 0–1024 characters. */
export const MAX_COMMON_ATTRIBUTES = 50;
export const MAX_COMMON_ATTRIBUTE_NAME_CHARS = 256;
export const MAX_COMMON_ATTRIBUTE_VALUE_CHARS = 1024;

/**
 * Firehose's recommended buffering for an HTTP endpoint: 5 MiB or 300 s, whichever comes first. Pass it
 * to `bufferBySizeOrTime` before `deliverTo` (Firehose allows 1–64 MiB and 0–900 s).
 *
 * ## Example
 * ```ts
 * import { HTTP_ENDPOINT_BUFFERING } from 'rx-firehose';
 * import { bufferBySizeOrTime } from 'rx-firehose/operators';
 * records$.pipe(bufferBySizeOrTime(HTTP_ENDPOINT_BUFFERING)); // { maxBytes: 5 << 20, maxMs: 300_000 }
 * ```
 */
export const HTTP_ENDPOINT_BUFFERING: { readonly maxBytes: number; readonly maxMs: number } = Object.freeze({ maxBytes: 5 * MIB, maxMs: 300_000 });

/** Length of the base64 encoding of `bytes` bytes (with padding). */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/** Whether `s` is standard base64 with padding (RFC 4648 §4), as Firehose encodes `data`. */
export function isBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const alphabet =
      (c >= 65 && c <= 90) || // A-Z
      (c >= 97 && c <= 122) || // a-z
      (c >= 48 && c <= 57) || // 0-9
      c === 43 || // +
      c === 47; // /
    if (alphabet) continue;
    // '=' only as padding: the last character, or the last two.
    if (c === 61 && (i === n - 1 || (i === n - 2 && s.charCodeAt(n - 1) === 61))) continue;
    return false;
  }
  return true;
}

/**
 * What is wrong with a common-attributes object, in words, or `undefined` when it follows the protocol's
 * schema: at most 50 entries, names of 1–256 characters, string values of 0–1024 characters.
 */
export function commonAttributesProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of string values';
  const entries = Object.entries(value);
  if (entries.length > MAX_COMMON_ATTRIBUTES) return `has ${entries.length} entries; at most ${MAX_COMMON_ATTRIBUTES} are allowed`;
  for (const [name, v] of entries) {
    if (name.length < 1 || name.length > MAX_COMMON_ATTRIBUTE_NAME_CHARS) {
      return `has a name of ${name.length} characters; names have 1–${MAX_COMMON_ATTRIBUTE_NAME_CHARS}`;
    }
    if (typeof v !== 'string') return `has a value of type ${v === null ? 'null' : typeof v} for ${JSON.stringify(name)}; values are strings`;
    if (v.length > MAX_COMMON_ATTRIBUTE_VALUE_CHARS) {
      return `has a value of ${v.length} characters for ${JSON.stringify(name)}; values have at most ${MAX_COMMON_ATTRIBUTE_VALUE_CHARS}`;
    }
  }
  return undefined;
}
