import { Buffer } from 'node:buffer';
import { request as httpRequest, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { timer, type SchedulerLike, type Subscription } from 'rxjs';
import { DeliveryError } from '../DeliveryError.js';
import { networkErrorKind } from '../networkErrorKind.js';
import type { HttpEndpointConfig } from './options.js';
import { MAX_ERROR_MESSAGE_CHARS, MAX_RESPONSE_BYTES, RESPONSE_FIELDS } from '../../protocols/httpEndpoint/protocol.js';
import { accessKeySpellings, redactResponseText, scrubText } from '../../protocols/httpEndpoint/scrubAccessKey.js';

/** How much of a raw response an error message quotes. */
const QUOTED_CHARS = 512;

/**
 * Sends one request of the protocol (POST, the protocol's headers, `body` as built) and resolves when the
 * endpoint accepted it: status 200 with a conforming JSON body whose `requestId` matches. Otherwise rejects
 * with a {@link DeliveryError} in Firehose's vocabulary:
 *
 * - `HttpEndpoint.DestinationException`: any other status (redirects are not followed); permanent for 413.
 *   The message is the endpoint's `errorMessage` when it sent one.
 * - `HttpEndpoint.InvalidResponseFromDestination`: a 200 that does not follow the response format.
 * - `HttpEndpoint.ResponseTooLarge`: a response over 1 MiB, headers included.
 * - `HttpEndpoint.RequestTimeout`: no complete response within `requestTimeoutMs`, as `scheduler` measures
 *   it (virtual time under a `TestScheduler`).
 * - `HttpEndpoint.ConnectionFailed`, `HttpEndpoint.ConnectionReset`, `HttpEndpoint.SSLHandshakeFailure`.
 *
 * All but the 413 are retriable. Aborting `signal` cancels the request and rejects with the abort error.
 * The access key is sent only in its header. Whatever the endpoint sends back is scrubbed of it (as is,
 * JSON-escaped, URL-encoded) before it is parsed into a message or cut short, and no error keeps the raw
 * response (Node's parse errors carry it in `rawPacket`).
 *
 * The only code of the HTTP endpoint destination that talks to the network.
 */
export function postRequest(
  config: HttpEndpointConfig,
  requestId: string,
  body: Uint8Array,
  signal: AbortSignal,
  scheduler: SchedulerLike,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const headers: Record<string, string> = {
      ...config.headers,
      'Content-Length': String(body.byteLength),
      'X-Amz-Firehose-Request-Id': requestId,
    };
    if (config.accessKey !== undefined) headers['X-Amz-Firehose-Access-Key'] = config.accessKey;

    const spellings = config.accessKey === undefined ? [] : accessKeySpellings(config.accessKey);
    // Cancels the request: aborted by the attempt's signal, or by the request's own timeout.
    const controller = new AbortController();
    let timedOut = false;
    let timeout: Subscription | undefined;
    let settled = false;
    const settle = (): void => {
      settled = true;
      timeout?.unsubscribe();
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      settle();
      if (signal.aborted) reject(signal.reason);
      else if (timedOut)
        reject(
          new DeliveryError(
            'HttpEndpoint.RequestTimeout',
            scrubText(`${config.location} did not answer within ${config.requestTimeoutMs} ms`, spellings),
          ),
        );
      else reject(err instanceof DeliveryError ? scrub(err, spellings) : fromNetworkError(err, spellings));
    };
    const onAbort = (): void => {
      fail(signal.reason);
      controller.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // The request's own timeout, on the pipeline's scheduler (virtual under TestScheduler): it measures the
    // whole exchange, not idle time. Cancelled as soon as the request settles.
    timeout = timer(config.requestTimeoutMs, scheduler).subscribe(() => {
      timedOut = true;
      fail(undefined);
      controller.abort();
    });
    if (settled) timeout.unsubscribe();

    const send = config.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      config.url,
      {
        method: 'POST',
        headers,
        signal: controller.signal,
        ...(config.agent === undefined ? {} : { agent: config.agent }),
        ...(config.ca === undefined ? {} : { ca: config.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = headerBytes(res);
        let ended = false;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            fail(
              new DeliveryError(
                'HttpEndpoint.ResponseTooLarge',
                `the response to request ${requestId} exceeds ${MAX_RESPONSE_BYTES} bytes (headers included)`,
              ),
            );
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          ended = true;
          if (settled) return;
          settle();
          const problem = checkResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks), requestId, spellings);
          if (problem === undefined) resolve();
          else reject(scrub(problem, spellings));
        });
        res.on('error', fail);
        res.on('close', () => {
          if (!ended) fail(Object.assign(new Error('the connection closed before the response ended'), { code: 'ECONNRESET' }));
        });
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/**
 * `undefined` when the response accepts the request; otherwise the error to report. Whether it conforms is
 * decided on the response as it came; everything of it that a message shows (body, header values, fields)
 * is scrubbed of the access key's `spellings` first, and only then cut short.
 */
function checkResponse(
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  requestId: string,
  spellings: readonly string[],
): DeliveryError | undefined {
  const text = body.toString('utf8');
  /** The body as a message may quote it: scrubbed, then cut. */
  const quoted = (): string => quote(redactResponseText(text, spellings));
  const shown = (value: string): string => quote(scrubText(value, spellings));
  if (status !== 200) {
    const endpointMessage = errorMessageOf(text, spellings);
    const message =
      endpointMessage ??
      `the endpoint answered ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd() +
        (status >= 300 && status < 400 ? ' (redirects are not followed)' : '') +
        (text === '' ? '' : `: ${quoted()}`);
    return new DeliveryError('HttpEndpoint.DestinationException', message, { permanent: status === 413 });
  }
  const invalid = (reason: string): DeliveryError =>
    new DeliveryError(
      'HttpEndpoint.InvalidResponseFromDestination',
      `Response for request ${requestId} does not follow the protocol: ${reason}. Raw response received: 200 ${quoted()}`,
    );
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity')
    return invalid(`it has Content-Encoding ${shown(encoding)}; responses must not be encoded`);
  const type = headers['content-type'];
  if (type === undefined || type.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    return invalid(`its Content-Type is ${type === undefined ? 'missing' : shown(type)}; it must be application/json`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('the body is not a JSON object');
  const fields = parsed as Record<string, unknown>;
  const unexpected = Object.keys(fields).filter((k) => !RESPONSE_FIELDS.has(k));
  if (unexpected.length > 0) return invalid(`unexpected field(s) ${shown(unexpected.map((k) => JSON.stringify(k)).join(', '))}`);
  if (typeof fields.requestId !== 'string') return invalid('requestId is missing or not a string');
  if (fields.requestId !== requestId) return invalid(`requestId ${shown(JSON.stringify(fields.requestId))} does not match the request's`);
  if (typeof fields.timestamp !== 'number' || !Number.isFinite(fields.timestamp)) return invalid('timestamp is missing or not a number');
  if (fields.errorMessage !== undefined && typeof fields.errorMessage !== 'string') return invalid('errorMessage is not a string');
  return undefined;
}

/** The `errorMessage` of an error response's JSON body, if it has one: scrubbed of the access key, then cut to 8,192 characters. */
function errorMessageOf(text: string, spellings: readonly string[]): string | undefined {
  let m: unknown;
  try {
    m = (JSON.parse(text) as { errorMessage?: unknown } | null)?.errorMessage;
  } catch {
    return undefined;
  }
  // Parsed, the message holds the key as is however JSON escaped it; redacted, however else it was escaped inside.
  return typeof m === 'string' && m !== '' ? redactResponseText(m, spellings).slice(0, MAX_ERROR_MESSAGE_CHARS) : undefined;
}

/**
 * A network error in Firehose's vocabulary, scrubbed of the access key. Its cause is a copy of Node's error
 * with only its name, code, message and stack (scrubbed): Node's parse errors also carry the raw bytes of
 * the response (`rawPacket`), which may hold the key.
 */
function fromNetworkError(err: unknown, spellings: readonly string[]): DeliveryError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown; name?: unknown; stack?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = scrubText(typeof e.message === 'string' && e.message !== '' ? e.message : String(err), spellings);
  const cause = Object.assign(new Error(message), code === '' ? {} : { code });
  if (typeof e.name === 'string') cause.name = e.name;
  if (typeof e.stack === 'string') cause.stack = scrubText(e.stack, spellings);
  const error = (errorCode: string, text: string): DeliveryError => new DeliveryError(errorCode, scrubText(text, spellings), { cause });
  const kind = networkErrorKind(code);
  switch (kind) {
    case 'SSLHandshakeFailure':
      return error('HttpEndpoint.SSLHandshakeFailure', `${code}: ${message}`);
    case 'ConnectionReset':
      return error('HttpEndpoint.ConnectionReset', message);
    case 'InvalidResponse':
      return error('HttpEndpoint.InvalidResponseFromDestination', `the response is not valid HTTP: ${message}`);
    default:
      return error('HttpEndpoint.ConnectionFailed', kind === 'ConnectionFailed' && code !== '' ? `${code}: ${message}` : message);
  }
}

/**
 * The same error with every spelling of the access key in its message replaced: the last line of defence,
 * for what a message assembled from parts that were each scrubbed (and cut) already.
 */
function scrub(err: DeliveryError, spellings: readonly string[]): DeliveryError {
  const message = scrubText(err.message, spellings);
  if (message === err.message) return err;
  return new DeliveryError(err.code, message, { permanent: err.permanent });
}

/** Bytes of the status line and headers, roughly as they came over the wire. */
function headerBytes(res: IncomingMessage): number {
  let n = 17 + (res.statusMessage?.length ?? 0);
  for (const h of res.rawHeaders) n += Buffer.byteLength(h) + 2;
  return n;
}

function quote(text: string): string {
  return text.length <= QUOTED_CHARS ? text : `${text.slice(0, QUOTED_CHARS)}… (${text.length} characters)`;
}
