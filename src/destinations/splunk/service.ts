import { Buffer } from 'node:buffer';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { defer, from, map, Observable, timer, type SchedulerLike, type Subscription } from 'rxjs';
import { networkErrorKind, type NetworkErrorKind } from '../networkErrorKind.js';
import { accessKeySpellings, redactResponseText, scrubText } from '../../protocols/httpEndpoint/scrubAccessKey.js';
import { hecError, parseHecAnswer, splunkError } from './hecErrors.js';
import type { SplunkHecConfig } from './options.js';
import type { HecHttpRequest, HecHttpResponse, HecTransport } from './transport.js';

/** What stands in for the HEC token wherever a message would show it. */
export const TOKEN_SHOWN_AS = '(HEC token)';
/** The largest answer read from HEC (its answers are a few hundred bytes). */
const MAX_RESPONSE_BYTES = 1_048_576;
const HOST_MISMATCH = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

/** Firehose's Splunk error code for each kind of network failure (a reset, an answer that is not HTTP, or an unknown code: the connection closed). */
const SPLUNK_CODE_OF: Readonly<Record<NetworkErrorKind, Parameters<typeof splunkError>[0]>> = {
  SSLHandshakeFailure: 'Splunk.SSLHandshake',
  ConnectionRefused: 'Splunk.InvalidEndpoint',
  ConnectionTimeout: 'Splunk.ConnectionTimeout',
  ConnectionReset: 'Splunk.ConnectionClosed',
  InvalidResponse: 'Splunk.ConnectionClosed',
  ConnectionFailed: 'Splunk.ConnectionClosed',
};

/** The paths of HEC's endpoints. */
export const HEC_PATHS = { Raw: '/services/collector/raw', Event: '/services/collector/event', ack: '/services/collector/ack' } as const;

/** What a data request came back with: the `ackId` when indexer acknowledgement is on. */
export interface HecAccepted {
  readonly ackId: number | undefined;
}

/** The HEC side of a destination: the config, how requests travel, and how the token is spelled (to scrub it). */
export interface HecService {
  readonly config: SplunkHecConfig;
  readonly transport: HecTransport;
  readonly tokenSpellings: readonly string[];
}

/** The service of a destination with these options: their transport, or Node's. */
export function hecService(config: SplunkHecConfig): HecService {
  return { config, transport: config.transport ?? nodeHecTransport(config), tokenSpellings: accessKeySpellings(config.token) };
}

/**
 * Posts data (records as the request builder encoded them) to the destination's endpoint on its channel.
 * Emits once when HEC accepted it (200 with code 0), with the `ackId` if HEC gave one; errors with a
 * `DeliveryError` in Firehose's vocabulary otherwise (see `hecError`).
 */
export function postData(service: HecService, body: Uint8Array, signal: AbortSignal, scheduler: SchedulerLike): Observable<HecAccepted> {
  const { config } = service;
  return exchange(
    service,
    { method: 'POST', url: new URL(HEC_PATHS[config.endpointType], config.endpoint), headers: headersOf(config, body), body },
    signal,
    scheduler,
  ).pipe(
    map(({ status, text }) => {
      const answer = parseHecAnswer(text);
      if (status !== 200 || (answer?.code !== undefined && answer.code !== 0)) throw hecError(status, answer, text);
      if (answer === undefined)
        throw splunkError(
          'Splunk.InvalidResponse',
          `HEC answered 200 with a body that is not a JSON object: ${JSON.stringify(text.slice(0, 512))}`,
          'transient',
        );
      return { ackId: answer.ackId };
    }),
  );
}

/**
 * Asks HEC for the status of `ackIds` on the destination's channel (`POST /services/collector/ack`,
 * `{"acks":[…]}`). Emits the ids whose data is indexed; ids not mentioned or `false` are not (yet).
 */
export function queryAcks(
  service: HecService,
  ackIds: readonly number[],
  signal: AbortSignal,
  scheduler: SchedulerLike,
): Observable<ReadonlySet<number>> {
  const { config } = service;
  const body = Buffer.from(JSON.stringify({ acks: ackIds }), 'utf8');
  return exchange(
    service,
    { method: 'POST', url: new URL(HEC_PATHS.ack, config.endpoint), headers: headersOf(config, body), body },
    signal,
    scheduler,
  ).pipe(
    map(({ status, text }) => {
      let acks: unknown;
      try {
        acks = (JSON.parse(text) as { acks?: unknown } | null)?.acks;
      } catch {
        acks = undefined;
      }
      if (status !== 200 || typeof acks !== 'object' || acks === null || Array.isArray(acks)) {
        if (status === 200)
          throw splunkError('Splunk.InvalidResponse', `HEC answered an ack query with ${JSON.stringify(text.slice(0, 512))}`, 'transient');
        throw hecError(status, parseHecAnswer(text), text);
      }
      const indexed = new Set<number>();
      for (const [id, done] of Object.entries(acks)) if (done === true) indexed.add(Number(id));
      return indexed;
    }),
  );
}

function headersOf(config: SplunkHecConfig, body: Uint8Array): Record<string, string> {
  return {
    Authorization: `Splunk ${config.token}`,
    'X-Splunk-Request-Channel': config.channel,
    'Content-Type': config.endpointType === 'Raw' ? 'text/plain; charset=utf-8' : 'application/json',
    'Content-Length': String(body.byteLength),
  };
}

/** One exchange through the transport, with whatever HEC answered scrubbed of the token. */
function exchange(
  service: HecService,
  request: HecHttpRequest,
  signal: AbortSignal,
  scheduler: SchedulerLike,
): Observable<HecHttpResponse> {
  return defer(() => from(service.transport(request, signal, scheduler))).pipe(
    map((response) => ({ status: response.status, text: redactResponseText(response.text, service.tokenSpellings, TOKEN_SHOWN_AS) })),
  );
}

/**
 * Sends with Node's `http`/`https`: the only code of the Splunk destination that talks to the network.
 * Times each exchange out after `requestTimeoutMs` on the pipeline's scheduler (`Splunk.ConnectionTimeout`);
 * maps network failures to `Splunk.InvalidEndpoint`, `Splunk.ConnectionClosed`, `Splunk.SSLUnverified`,
 * `Splunk.SSLHandshake`, all retriable. No error keeps the request (its headers hold the token) or Node's
 * raw response bytes.
 */
export function nodeHecTransport(config: SplunkHecConfig): HecTransport {
  const spellings = accessKeySpellings(config.token);
  return (request, signal, scheduler) =>
    new Observable<HecHttpResponse>((subscriber) => {
      const controller = new AbortController();
      let done = false;
      const fail = (err: unknown): void => {
        if (done) return;
        done = true;
        subscriber.error(err);
        controller.abort();
      };
      const onAbort = (): void => fail(signal.reason);
      if (signal.aborted) {
        subscriber.error(signal.reason);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      const timeout: Subscription = timer(config.requestTimeoutMs, scheduler).subscribe(() =>
        fail(
          splunkError(
            'Splunk.ConnectionTimeout',
            `${request.url.origin} did not answer within ${config.requestTimeoutMs} ms.`,
            'transient',
          ),
        ),
      );
      const send = request.url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        request.url,
        {
          method: request.method,
          headers: request.headers,
          signal: controller.signal,
          ...(config.agent === undefined ? {} : { agent: config.agent }),
          ...(config.ca === undefined ? {} : { ca: config.ca }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let ended = false;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              fail(splunkError('Splunk.InvalidResponse', `the answer exceeds ${MAX_RESPONSE_BYTES} bytes`, 'transient'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            ended = true;
            if (done) return;
            done = true;
            subscriber.next({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
            subscriber.complete();
          });
          res.on('error', (err) => fail(fromNetworkError(err, spellings)));
          res.on('close', () => {
            if (!ended)
              fail(
                fromNetworkError(
                  Object.assign(new Error('the connection closed before the answer ended'), { code: 'ECONNRESET' }),
                  spellings,
                ),
              );
          });
        },
      );
      req.on('error', (err) => fail(fromNetworkError(err, spellings)));
      req.end(request.body);
      return () => {
        timeout.unsubscribe();
        signal.removeEventListener('abort', onAbort);
        if (!done) {
          done = true;
          controller.abort();
        }
      };
    });
}

/** A network error in Firehose's vocabulary, its message and cause scrubbed of the token (Node's parse errors carry raw bytes). */
function fromNetworkError(err: unknown, spellings: readonly string[]) {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = scrubText(typeof e.message === 'string' && e.message !== '' ? e.message : String(err), spellings, TOKEN_SHOWN_AS);
  const cause = Object.assign(new Error(message), code === '' ? {} : { code });
  const detail = `${code === '' ? '' : `${code}: `}${message}`;
  if (HOST_MISMATCH.has(code)) return splunkError('Splunk.SSLUnverified', detail, 'transient', cause);
  const errorCode = SPLUNK_CODE_OF[networkErrorKind(code)];
  return splunkError(errorCode, detail, 'transient', cause);
}
