import type { DeliveryErrorKind } from '../Destination.js';
import { DeliveryError } from '../DeliveryError.js';

/** Firehose's messages for its Splunk error codes (from its "Splunk data delivery errors" table). */
export const SPLUNK_ERROR_MESSAGES = {
  'Splunk.DisabledToken': 'The HEC token is disabled. Enable the token to allow data delivery to Splunk.',
  'Splunk.InvalidToken': 'The HEC token is invalid. Update the delivery stream with a valid HEC token.',
  'Splunk.InvalidDataFormat':
    'The data is not formatted correctly. See Splunk\'s "Format events for HTTP Event Collector" for the Raw and Event endpoints.',
  'Splunk.InvalidIndex': 'The HEC token or input is configured with an invalid index. Check your index configuration and try again.',
  'Splunk.ServerError':
    'Data delivery to Splunk failed due to a server error from the HEC node. It is retried within the retry duration; then the data goes to the error output.',
  'Splunk.DisabledAck': 'Indexer acknowledgement is disabled for the HEC token. Enable indexer acknowledgement and try again.',
  'Splunk.AckTimeout':
    "Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout expired. Despite the acknowledgement timeout, it's possible the data was indexed successfully in Splunk. Data for which the acknowledgement timeout expired goes to the error output.",
  'Splunk.ConnectionTimeout': 'The connection to Splunk timed out. This might be a transient error and the request will be retried.',
  'Splunk.InvalidEndpoint': 'Could not connect to the HEC endpoint. Make sure that the HEC endpoint URL is valid and reachable.',
  'Splunk.ConnectionClosed': 'Unable to send data to Splunk due to a connection failure. This might be a transient error.',
  'Splunk.SSLUnverified':
    'Could not connect to the HEC endpoint. The host does not match the certificate provided by the peer. Make sure that the certificate and the host are valid.',
  'Splunk.SSLHandshake': 'Could not connect to the HEC endpoint. Make sure that the certificate and the host are valid.',
  'Splunk.InvalidChannel':
    'HEC refused the request channel (X-Splunk-Request-Channel). Make sure that a proxy in between passes the header on.',
  'Splunk.PayloadTooLarge':
    "The request is larger than HEC accepts (its max_content_length). Lower the buffer size or raise Splunk's limit.",
  'Splunk.InvalidResponse': 'HEC answered with a response that does not follow its protocol.',
} as const;

export type SplunkErrorCode = keyof typeof SPLUNK_ERROR_MESSAGES;

/** HEC's status codes (the `code` of its JSON answers) → Firehose's error code and how retrying can help. */
const BY_HEC_CODE: Readonly<Record<number, readonly [SplunkErrorCode, DeliveryErrorKind]>> = {
  1: ['Splunk.DisabledToken', 'permanent'], // Token disabled
  2: ['Splunk.InvalidToken', 'permanent'], // Token is required
  3: ['Splunk.InvalidToken', 'permanent'], // Invalid authorization
  4: ['Splunk.InvalidToken', 'permanent'], // Invalid token
  5: ['Splunk.InvalidDataFormat', 'permanent'], // No data
  6: ['Splunk.InvalidDataFormat', 'permanent'], // Invalid data format
  7: ['Splunk.InvalidIndex', 'permanent'], // Incorrect index
  8: ['Splunk.ServerError', 'transient'], // Internal server error
  9: ['Splunk.ServerError', 'throttled'], // Server is busy
  10: ['Splunk.InvalidChannel', 'permanent'], // Data channel is missing
  11: ['Splunk.InvalidChannel', 'permanent'], // Invalid data channel
  12: ['Splunk.InvalidDataFormat', 'permanent'], // Event field is required
  13: ['Splunk.InvalidDataFormat', 'permanent'], // Event field cannot be blank
  14: ['Splunk.DisabledAck', 'permanent'], // ACK is disabled
  15: ['Splunk.InvalidDataFormat', 'permanent'], // Error in handling indexed fields
  16: ['Splunk.InvalidToken', 'permanent'], // Query string authorization is not enabled
  18: ['Splunk.ServerError', 'throttled'], // HEC is unhealthy, queues are full
  19: ['Splunk.ServerError', 'throttled'], // HEC is unhealthy, ack service unavailable
  20: ['Splunk.ServerError', 'throttled'], // HEC is unhealthy, queues are full, ack service unavailable
  21: ['Splunk.InvalidToken', 'permanent'], // Invalid token
  22: ['Splunk.DisabledToken', 'permanent'], // Token disabled
};

/** HEC's JSON answer, as far as it is one: `{"text":…,"code":…}` plus `ackId` or `invalid-event-number`. */
export interface HecAnswer {
  readonly text?: string | undefined;
  readonly code?: number | undefined;
  readonly ackId?: number | undefined;
  readonly invalidEventNumber?: number | undefined;
}

/** Parses a HEC answer; `undefined` when the body is not a JSON object. */
export function parseHecAnswer(body: string): HecAnswer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const p = parsed as Record<string, unknown>;
  return {
    ...(typeof p.text === 'string' ? { text: p.text } : {}),
    ...(typeof p.code === 'number' ? { code: p.code } : {}),
    ...(Number.isSafeInteger(p.ackId) && (p.ackId as number) >= 0 ? { ackId: p.ackId as number } : {}),
    ...(Number.isSafeInteger(p['invalid-event-number']) ? { invalidEventNumber: p['invalid-event-number'] as number } : {}),
  };
}

/**
 * The error for a HEC answer other than success, in Firehose's vocabulary: by HEC's `code` when the body
 * has one, else by HTTP status (429 and 503 throttled, other 5xx transient, 401/403 an invalid token,
 * 413 too large). Permanent: a bad token, index or data format, which retrying the same bytes cannot fix.
 * The message is Firehose's, followed by what HEC said (`text`, `code`, the invalid event's number).
 *
 * `text` must already be free of the token (see `scrubToken`).
 */
export function hecError(status: number, answer: HecAnswer | undefined, rawText: string): DeliveryError {
  const [code, kind] = (answer?.code === undefined ? undefined : BY_HEC_CODE[answer.code]) ?? byStatus(status);
  const said =
    answer?.text !== undefined
      ? `HEC answered ${status}: "${answer.text}" (code ${answer.code ?? 'none'}${answer.invalidEventNumber === undefined ? '' : `, invalid event number ${answer.invalidEventNumber}`})`
      : `HEC answered ${status}${rawText === '' ? '' : `: ${quote(rawText)}`}`;
  return new DeliveryError(code, `${SPLUNK_ERROR_MESSAGES[code]} ${said}`, { kind });
}

function byStatus(status: number): readonly [SplunkErrorCode, DeliveryErrorKind] {
  if (status === 429 || status === 503) return ['Splunk.ServerError', 'throttled'];
  if (status === 401 || status === 403) return ['Splunk.InvalidToken', 'permanent'];
  if (status === 413) return ['Splunk.PayloadTooLarge', 'permanent'];
  if (status === 404) return ['Splunk.InvalidEndpoint', 'transient'];
  return ['Splunk.ServerError', 'transient'];
}

/** An error made from one of Firehose's codes with its message, and a detail after it. */
export function splunkError(code: SplunkErrorCode, detail: string, kind: DeliveryErrorKind, cause?: unknown): DeliveryError {
  return new DeliveryError(code, `${SPLUNK_ERROR_MESSAGES[code]}${detail === '' ? '' : ` ${detail}`}`, {
    kind,
    ...(cause === undefined ? {} : { cause }),
  });
}

function quote(text: string): string {
  return JSON.stringify(text.length > 512 ? `${text.slice(0, 512)}…` : text);
}
