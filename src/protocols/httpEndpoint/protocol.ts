/**
 * Firehose's HTTP endpoint delivery protocol, version 1.0: the names and limits both ends share
 * (`httpEndpointDestination` sends by them, `httpEndpointListener` checks them).
 *
 * From AWS's "HTTP endpoint delivery request and response specifications" (Firehose developer guide).
 */
import type { Buffer } from 'node:buffer';

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
export const HTTP_ENDPOINT_BUFFERING: { readonly maxBytes: number; readonly maxMs: number } = Object.freeze({
  maxBytes: 5 * MIB,
  maxMs: 300_000,
});

/**
 * Room kept in every request body for `{"requestId":"<36>","timestamp":<up to 16 digits>,"records":[` and
 * `]}` (97 bytes), rounded up.
 */
export const BODY_OVERHEAD_BYTES = 128;
/** `{"data":""}`: what a record adds to a request body besides its base64. */
export const RECORD_OVERHEAD_BYTES = 11;
/** The longest `data` of one record: base64 of the largest record Firehose carries (1,365,336 characters). */
export const MAX_RECORD_DATA_CHARS = 4 * Math.ceil(MAX_RECORD_BYTES / 3);
/** The fields a response body may have: `{"requestId","timestamp"}`, plus `errorMessage` for an error. */
export const RESPONSE_FIELDS: ReadonlySet<string> = new Set(['requestId', 'timestamp', 'errorMessage']);

/** One record as the endpoint receives it: the bytes that were put into the stream, decoded from base64. */
export interface HttpEndpointRecord {
  readonly data: Buffer;
}

/** Length of the base64 encoding of `bytes` bytes (with padding). */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}
