import { Buffer } from 'node:buffer';
import { request as httpRequest, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeliveryError } from '../DeliveryError.js';
import type { HttpEndpointConfig } from './options.js';
import { MAX_ERROR_MESSAGE_CHARS, MAX_RESPONSE_BYTES } from './protocol.js';

/** Node's codes for a connection that could not be made. */
const CONNECT_FAILED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL', 'ETIMEDOUT']);
/** Node's codes for a connection closed or reset by the other side. */
const CONNECTION_RESET = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
/** OpenSSL's and Node's codes for a TLS handshake that failed (certificate, protocol). */
const TLS_FAILURE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|EPROTO$|HOSTNAME_MISMATCH$|ERR_OSSL_)/;
/** The fields a response body may have. */
const RESPONSE_FIELDS = new Set(['requestId', 'timestamp', 'errorMessage']);
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
 * - `HttpEndpoint.RequestTimeout`: no complete response within `requestTimeoutMs`.
 * - `HttpEndpoint.ConnectionFailed`, `HttpEndpoint.ConnectionReset`, `HttpEndpoint.SSLHandshakeFailure`.
 *
 * All but the 413 are retriable. Aborting `signal` cancels the request and rejects with the abort error.
 * The access key is sent only in its header: every message is scrubbed of it.
 *
 * The only code of the HTTP endpoint destination that talks to the network.
 */
export function postRequest(config: HttpEndpointConfig, requestId: string, body: Uint8Array, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    // The request's own timeout: AbortSignal.timeout measures the whole exchange, not idle time.
    const timeout = AbortSignal.timeout(config.requestTimeoutMs);
    const headers: Record<string, string> = {
      ...config.headers,
      'Content-Length': String(body.byteLength),
      'X-Amz-Firehose-Request-Id': requestId,
    };
    if (config.accessKey !== undefined) headers['X-Amz-Firehose-Access-Key'] = config.accessKey;

    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      if (signal.aborted) reject(signal.reason);
      else if (timeout.aborted) reject(new DeliveryError('HttpEndpoint.RequestTimeout', `${config.location} did not answer within ${config.requestTimeoutMs} ms`));
      else reject(scrub(err instanceof DeliveryError ? err : fromNetworkError(err), config.accessKey));
    };

    const send = config.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      config.url,
      {
        method: 'POST',
        headers,
        signal: AbortSignal.any([signal, timeout]),
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
            fail(new DeliveryError('HttpEndpoint.ResponseTooLarge', `the response to request ${requestId} exceeds ${MAX_RESPONSE_BYTES} bytes (headers included)`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          ended = true;
          if (settled) return;
          settled = true;
          const problem = checkResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks), requestId);
          if (problem === undefined) resolve();
          else reject(scrub(problem, config.accessKey));
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

/** `undefined` when the response accepts the request; otherwise the error to report. */
function checkResponse(status: number, headers: IncomingHttpHeaders, body: Buffer, requestId: string): DeliveryError | undefined {
  const text = body.toString('utf8');
  if (status !== 200) {
    const endpointMessage = errorMessageOf(text);
    const message =
      endpointMessage ??
      `the endpoint answered ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd() +
        (status >= 300 && status < 400 ? ' (redirects are not followed)' : '') +
        (text === '' ? '' : `: ${quote(text)}`);
    return new DeliveryError('HttpEndpoint.DestinationException', message, { permanent: status === 413 });
  }
  const invalid = (reason: string): DeliveryError =>
    new DeliveryError(
      'HttpEndpoint.InvalidResponseFromDestination',
      `Response for request ${requestId} does not follow the protocol: ${reason}. Raw response received: 200 ${quote(text)}`,
    );
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return invalid(`it has Content-Encoding ${encoding}; responses must not be encoded`);
  const type = headers['content-type'];
  if (type === undefined || type.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    return invalid(`its Content-Type is ${type === undefined ? 'missing' : type}; it must be application/json`);
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
  if (unexpected.length > 0) return invalid(`unexpected field(s) ${unexpected.map((k) => JSON.stringify(k)).join(', ')}`);
  if (typeof fields.requestId !== 'string') return invalid('requestId is missing or not a string');
  if (fields.requestId !== requestId) return invalid(`requestId ${JSON.stringify(fields.requestId)} does not match the request's`);
  if (typeof fields.timestamp !== 'number' || !Number.isFinite(fields.timestamp)) return invalid('timestamp is missing or not a number');
  if (fields.errorMessage !== undefined && typeof fields.errorMessage !== 'string') return invalid('errorMessage is not a string');
  return undefined;
}

/** The `errorMessage` of an error response's JSON body, if it has one. */
function errorMessageOf(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { errorMessage?: unknown } | null;
    const m = parsed?.errorMessage;
    return typeof m === 'string' && m !== '' ? m.slice(0, MAX_ERROR_MESSAGE_CHARS) : undefined;
  } catch {
    return undefined;
  }
}

function fromNetworkError(err: unknown): DeliveryError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  if (TLS_FAILURE.test(code)) return new DeliveryError('HttpEndpoint.SSLHandshakeFailure', `${code}: ${message}`, { cause: err });
  if (CONNECTION_RESET.has(code)) return new DeliveryError('HttpEndpoint.ConnectionReset', message, { cause: err });
  if (code.startsWith('HPE_')) return new DeliveryError('HttpEndpoint.InvalidResponseFromDestination', `the response is not valid HTTP: ${message}`, { cause: err });
  if (CONNECT_FAILED.has(code)) return new DeliveryError('HttpEndpoint.ConnectionFailed', message, { cause: err });
  return new DeliveryError('HttpEndpoint.ConnectionFailed', code === '' ? message : `${code}: ${message}`, { cause: err });
}

/** The same error with every occurrence of the access key in its message replaced. */
function scrub(err: DeliveryError, accessKey: string | undefined): DeliveryError {
  if (accessKey === undefined || !err.message.includes(accessKey)) return err;
  return new DeliveryError(err.code, err.message.split(accessKey).join('(access key)'), { permanent: err.permanent });
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
