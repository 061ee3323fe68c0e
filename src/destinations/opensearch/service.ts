import { Buffer } from 'node:buffer';
import { request as httpRequest, STATUS_CODES, type Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SignatureV4 } from '@smithy/signature-v4';
import { timer, type SchedulerLike, type Subscription } from 'rxjs';
import { DeliveryError } from '../DeliveryError.js';
import { isConnectionFailure, networkErrorKind } from '../networkErrorKind.js';

/** How to reach and authenticate to a cluster, once the endpoint is known. */
export interface BulkTarget {
  /** The cluster's origin; requests go to `<origin>/_bulk`. */
  readonly endpoint: URL;
  /** Signs each request (SigV4), when set. */
  readonly signer: Pick<SignatureV4, 'sign'> | undefined;
  /** An `Authorization` header value (basic auth), when set. */
  readonly authorization: string | undefined;
  readonly agent: Agent | undefined;
  readonly requestTimeoutMs: number;
  /** Error code prefix: `OS`, `ES`, … */
  readonly errorPrefix: string;
}

/** One item of a bulk response: its HTTP status, and its error when it failed. */
export interface BulkItemResponse {
  readonly status: number;
  readonly error?: unknown;
}

/** How much of an answer an error message quotes. */
const QUOTED_CHARS = 1024;

/**
 * The service: sends one `_bulk` request (with `requestId` as `X-Opaque-Id`) and resolves with the per-item
 * answers, in request order. The only code of the OpenSearch destination that talks to the network.
 *
 * Anything but a 200 with a bulk response of `expectedItems` items rejects with a {@link DeliveryError}:
 * `<prefix>.InvalidRequest` (400, permanent: the same bytes would be refused again), `.AccessDenied` (401,
 * 403), `.ResourceNotFound` (404), `.PayloadTooLarge` (413, permanent), `.TooManyRequests` (429, throttled),
 * `.ClusterError` (5xx), `.UnexpectedResponse` (any other status), `.MalformedResponse` (a 200 that is not a
 * bulk response), `.RequestTimeout` (no answer within `requestTimeoutMs` on `scheduler`: virtual under a
 * `TestScheduler`), `.ConnectionFailed`, `.ConnectionReset`, `.SSLHandshakeFailure`. Aborting `signal`
 * cancels the request and rejects with its reason.
 */
export async function sendBulkRequest(
  target: BulkTarget,
  body: Buffer,
  expectedItems: number,
  requestId: string,
  signal: AbortSignal,
  scheduler: SchedulerLike,
): Promise<BulkItemResponse[]> {
  const { endpoint, errorPrefix } = target;
  const url = new URL('/_bulk', endpoint);
  let headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/json',
    'content-length': String(body.byteLength),
    // OpenSearch's request tracing header: the id shows in its tasks and slow logs, the same on every retry.
    'x-opaque-id': requestId,
  };
  if (target.authorization !== undefined) headers.authorization = target.authorization;
  if (target.signer !== undefined) {
    const signed = await target.signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers,
      body,
    });
    headers = signed.headers;
  }
  const { status, text } = await exchange(url, headers, body, target, signal, scheduler);
  if (status !== 200) throw statusError(errorPrefix, status, text);

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DeliveryError(`${errorPrefix}.MalformedResponse`, `the bulk response is not JSON: ${quote(text)}`);
  }
  const items = (parsed as { items?: unknown } | null)?.items;
  if (!Array.isArray(items) || items.length !== expectedItems) {
    throw new DeliveryError(
      `${errorPrefix}.MalformedResponse`,
      `the bulk response does not have one item per document (${expectedItems} sent): ${quote(text)}`,
    );
  }
  return items.map((item: unknown) => {
    const result = typeof item === 'object' && item !== null ? Object.values(item)[0] : undefined;
    const itemStatus = (result as { status?: unknown } | undefined)?.status;
    if (typeof itemStatus !== 'number')
      return { status: 0, error: `the bulk response has an item without a status: ${quote(JSON.stringify(item))}` };
    const error = (result as { error?: unknown }).error;
    return error === undefined ? { status: itemStatus } : { status: itemStatus, error };
  });
}

function statusError(prefix: string, status: number, text: string): DeliveryError {
  const reason = reasonOf(text);
  const message = `the cluster answered ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd() + (reason === '' ? '' : `: ${reason}`);
  if (status === 400) return new DeliveryError(`${prefix}.InvalidRequest`, message, { kind: 'permanent' });
  if (status === 401 || status === 403) return new DeliveryError(`${prefix}.AccessDenied`, message);
  if (status === 404) return new DeliveryError(`${prefix}.ResourceNotFound`, message);
  if (status === 413) return new DeliveryError(`${prefix}.PayloadTooLarge`, message, { kind: 'permanent' });
  if (status === 429) return new DeliveryError(`${prefix}.TooManyRequests`, message, { kind: 'throttled' });
  if (status >= 500) return new DeliveryError(`${prefix}.ClusterError`, message);
  return new DeliveryError(`${prefix}.UnexpectedResponse`, message);
}

/** The reason of an OpenSearch error body (`{"error":{"reason"}}`), AWS's (`{"message"}`), or the body itself, cut short. */
function reasonOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; reason?: unknown } | string; message?: unknown };
    if (typeof body.error === 'object' && body.error !== null && typeof body.error.reason === 'string') {
      return quote(typeof body.error.type === 'string' ? `${body.error.type}: ${body.error.reason}` : body.error.reason);
    }
    if (typeof body.error === 'string') return quote(body.error);
    if (typeof body.message === 'string') return quote(body.message);
  } catch {
    // Not JSON: quote it as it is.
  }
  return quote(text);
}

function quote(text: string): string {
  return text.length <= QUOTED_CHARS ? text : `${text.slice(0, QUOTED_CHARS)}… (${text.length} characters)`;
}

/** POSTs `body` and reads the whole answer, with a timeout on `scheduler` and cancellation by `signal`. */
function exchange(
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
  target: BulkTarget,
  signal: AbortSignal,
  scheduler: SchedulerLike,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const controller = new AbortController();
    let timeout: Subscription | undefined;
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      timeout?.unsubscribe();
      signal.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (err: unknown): void =>
      finish(() => {
        if (signal.aborted) reject(signal.reason);
        else if (err instanceof DeliveryError) reject(err);
        else reject(fromNetworkError(target.errorPrefix, err));
      });
    const onAbort = (): void => {
      fail(signal.reason);
      controller.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // The whole exchange must finish in time, measured on the pipeline's scheduler.
    timeout = timer(target.requestTimeoutMs, scheduler).subscribe(() => {
      fail(new DeliveryError(`${target.errorPrefix}.RequestTimeout`, `${url.origin} did not answer within ${target.requestTimeoutMs} ms`));
      controller.abort();
    });
    if (settled) timeout.unsubscribe();

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      { method: 'POST', headers, signal: controller.signal, ...(target.agent === undefined ? {} : { agent: target.agent }) },
      (res) => {
        const chunks: Buffer[] = [];
        let ended = false;
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          ended = true;
          finish(() => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
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

function fromNetworkError(prefix: string, err: unknown): DeliveryError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const kind = networkErrorKind(code);
  return new DeliveryError(
    `${prefix}.${kind === 'InvalidResponse' ? 'MalformedResponse' : isConnectionFailure(kind) ? 'ConnectionFailed' : kind}`,
    code === '' || message.includes(code) ? message : `${code}: ${message}`,
    { cause: err },
  );
}
