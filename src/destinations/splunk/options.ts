import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { InvalidOptionError } from '../../errors/InvalidOptionError.js';
import type { MetricSink } from '../../metrics/MetricSink.js';
import { checkAgentAndCa } from '../../options/checkAgentAndCa.js';
import { checkHttpUrl } from '../../options/checkHttpUrl.js';
import { checkNumber } from '../../options/checkNumber.js';
import type { HecTransport } from './transport.js';

export const NAME = 'splunkHecDestination';

const MIB = 1_048_576;

/** Firehose's buffering for Splunk: 1–5 MiB (default 5) and 0–60 s (default 60). */
export const SPLUNK_BUFFERING_LIMITS = { minBytes: MIB, maxBytes: 5 * MIB, minMs: 0, maxMs: 60_000 } as const;
/** `RetryOptions.DurationInSeconds` for Splunk: 0–7200 s, default 300 s. */
export const DEFAULT_SPLUNK_RETRY_DURATION_MS = 300_000;
export const MAX_SPLUNK_RETRY_DURATION_MS = 7_200_000;
/** `HECAcknowledgmentTimeoutInSeconds`: 180–600 s, default 180 s. */
export const DEFAULT_ACK_TIMEOUT_MS = 180_000;
export const MIN_ACK_TIMEOUT_MS = 180_000;
export const MAX_ACK_TIMEOUT_MS = 600_000;
/** How often pending acknowledgements are asked for. */
export const DEFAULT_ACK_POLL_INTERVAL_MS = 1_000;
/** ackIds asked for in one query of `/services/collector/ack`. */
export const DEFAULT_MAX_ACK_IDS_PER_QUERY = 1_000;
/** How long one HTTP exchange with HEC may take. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 180_000;

/** `HECEndpointType`: where records go and how HEC reads them. */
export type HecEndpointType = 'Raw' | 'Event';

/** The metadata of the event envelope that `wrapEvents` writes around each record. */
export interface HecEventMetadata {
  readonly host?: string | undefined;
  readonly source?: string | undefined;
  readonly sourcetype?: string | undefined;
  readonly index?: string | undefined;
}

export interface SplunkHecDestinationOptions {
  /** `HECEndpoint`: the collector's base URL, e.g. `https://splunk.example.com:8088` (`http:` for local tests). */
  readonly endpoint: string | URL;
  /**
   * `HECEndpointType`. `Raw` (default): the records' bytes concatenated, to `/services/collector/raw`. `Event`:
   * to `/services/collector/event`, where each record must already be a HEC event (`{"event":…}`), as
   * Firehose sends them; or set `wrapEvents`.
   */
  readonly endpointType?: HecEndpointType | undefined;
  /** `HECToken`, sent as `Authorization: Splunk <token>`. It never appears in errors, results, logs or failure records. */
  readonly token: string;
  /** The `X-Splunk-Request-Channel` of this destination: a GUID. Default a random one per destination. */
  readonly channel?: string | undefined;
  /**
   * For `Event` only, and not something Firehose does: wrap each record in a HEC event envelope,
   * `{"time":<arrival, epoch seconds>,"event":<the record>,…metadata}`. The record goes in as JSON when it
   * is JSON, otherwise as a string (UTF-8). `true` for no metadata. Default: records are sent as they are.
   */
  readonly wrapEvents?: boolean | HecEventMetadata | undefined;
  /** `HECAcknowledgmentTimeoutInSeconds` in ms: 180,000–600,000, default 180,000. An ack not seen in time sends the batch again. */
  readonly ackTimeoutMs?: number | undefined;
  /** `RetryOptions.DurationInSeconds` in ms: 0–7,200,000, default 300,000. 0 disables retries. */
  readonly retryDurationMs?: number | undefined;
  /** How often pending acknowledgements are polled: 100–60,000 ms, default 1,000. */
  readonly ackPollIntervalMs?: number | undefined;
  /** ackIds per query of `/services/collector/ack`: 1–100,000, default 1,000. */
  readonly maxAckIdsPerQuery?: number | undefined;
  /** How long one HTTP exchange may take, on the pipeline's scheduler: 1–3,600,000 ms, default 180,000. */
  readonly requestTimeoutMs?: number | undefined;
  /** The `http.Agent` or `https.Agent` to send with. Default Node's global agents. */
  readonly agent?: Agent | undefined;
  /** Extra trusted certificate authorities (PEM) for an `https:` endpoint. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /** How requests reach HEC. Default: Node's `http`/`https` with `agent`, `ca` and `requestTimeoutMs`. */
  readonly transport?: HecTransport | undefined;
  /** Receives `DeliveryToSplunk.DataAckLatency` (seconds from the accepted send to its acknowledgement). `deliverTo`'s metrics give the rest. */
  readonly metrics?: MetricSink | undefined;
}

/** The checked options. */
export interface SplunkHecConfig {
  readonly endpoint: URL;
  readonly endpointType: HecEndpointType;
  readonly token: string;
  readonly channel: string;
  readonly wrapEvents: HecEventMetadata | undefined;
  readonly ackTimeoutMs: number;
  readonly retryDurationMs: number;
  readonly ackPollIntervalMs: number;
  readonly maxAckIdsPerQuery: number;
  readonly requestTimeoutMs: number;
  readonly agent: Agent | undefined;
  readonly ca: string | Buffer | Array<string | Buffer> | undefined;
  readonly transport: HecTransport | undefined;
  readonly metrics: MetricSink | undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What a header value may hold: visible ASCII and spaces, no line breaks. */
const TOKEN_CHARS = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

/** Checks the options at construction; throws {@link InvalidOptionError} naming the option (never showing the token). */
export function checkSplunkHecOptions(options: SplunkHecDestinationOptions): SplunkHecConfig {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError(NAME, 'options', options, 'an object with at least endpoint and token');
  const endpoint = checkHttpUrl(NAME, 'endpoint', options.endpoint, {
    allowed: 'an http: or https: URL of the collector (scheme, host, port), without credentials, query or path',
    credentialsGoTo: 'pass the token as token',
    originOnly: true,
  });

  const endpointType = options.endpointType ?? 'Raw';
  if (endpointType !== 'Raw' && endpointType !== 'Event')
    throw new InvalidOptionError(NAME, 'endpointType', endpointType, "'Raw' or 'Event'");

  const token = options.token;
  if (typeof token !== 'string' || token.length > 4096 || !TOKEN_CHARS.test(token)) {
    // The value is a secret: the message describes it without showing it.
    const shown = typeof token === 'string' ? `a string of ${token.length} characters (not shown)` : token;
    throw new InvalidOptionError(NAME, 'token', shown, 'a HEC token: 1 to 4096 printable ASCII characters, no surrounding spaces');
  }

  const channel = options.channel ?? randomUUID();
  if (typeof channel !== 'string' || !GUID.test(channel))
    throw new InvalidOptionError(NAME, 'channel', channel, 'a GUID such as 0e6c3a3e-2b8d-4b6a-9d6a-1c2b3d4e5f60');

  const wrapEvents = checkWrapEvents(options.wrapEvents, endpointType);

  const ackTimeoutMs = checkNumber(NAME, 'ackTimeoutMs', options.ackTimeoutMs, DEFAULT_ACK_TIMEOUT_MS, {
    min: MIN_ACK_TIMEOUT_MS,
    max: MAX_ACK_TIMEOUT_MS,
    unit: 'ms',
  });
  const retryDurationMs = checkNumber(NAME, 'retryDurationMs', options.retryDurationMs, DEFAULT_SPLUNK_RETRY_DURATION_MS, {
    min: 0,
    max: MAX_SPLUNK_RETRY_DURATION_MS,
    unit: 'ms',
  });
  const ackPollIntervalMs = checkNumber(NAME, 'ackPollIntervalMs', options.ackPollIntervalMs, DEFAULT_ACK_POLL_INTERVAL_MS, {
    min: 100,
    max: 60_000,
    unit: 'ms',
  });
  const maxAckIdsPerQuery = checkNumber(NAME, 'maxAckIdsPerQuery', options.maxAckIdsPerQuery, DEFAULT_MAX_ACK_IDS_PER_QUERY, {
    min: 1,
    max: 100_000,
    integer: true,
  });
  const requestTimeoutMs = checkNumber(NAME, 'requestTimeoutMs', options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, {
    min: 1,
    max: 3_600_000,
    integer: true,
    unit: 'ms',
  });

  const { agent, ca } = checkAgentAndCa(NAME, options.agent, options.ca, endpoint, 'endpoint');
  const transport = options.transport;
  if (transport !== undefined && typeof transport !== 'function')
    throw new InvalidOptionError(NAME, 'transport', transport, 'a function (request, signal, scheduler) => response');
  const metrics = options.metrics;
  if (metrics !== undefined && typeof metrics !== 'function')
    throw new InvalidOptionError(NAME, 'metrics', metrics, 'a function (name, value, unit) => void');

  return {
    endpoint,
    endpointType,
    token,
    channel: channel.toLowerCase(),
    wrapEvents,
    ackTimeoutMs,
    retryDurationMs,
    ackPollIntervalMs,
    maxAckIdsPerQuery,
    requestTimeoutMs,
    agent,
    ca,
    transport,
    metrics,
  };
}

const METADATA_FIELDS = ['host', 'source', 'sourcetype', 'index'] as const;

function checkWrapEvents(value: unknown, endpointType: HecEndpointType): HecEventMetadata | undefined {
  if (value === undefined || value === false) return undefined;
  if (endpointType !== 'Event') throw new InvalidOptionError(NAME, 'wrapEvents', value, "left out unless endpointType is 'Event'");
  if (value === true) return {};
  const allowed = `true, or an object of string ${METADATA_FIELDS.join(', ')}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidOptionError(NAME, 'wrapEvents', value, allowed);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!(METADATA_FIELDS as readonly string[]).includes(k) || typeof v !== 'string' || v === '')
      throw new InvalidOptionError(NAME, `wrapEvents.${k}`, v, allowed);
    metadata[k] = v;
  }
  return metadata;
}
