import type { BuildContext, BuiltRequest, DeliveryAttempt, Destination, SendOutcome } from '../Destination.js';
import { checkHttpEndpointOptions, type HttpEndpointDestinationOptions } from './options.js';
import { PROTOCOL_LIMITS } from './planRequests.js';
import { HTTP_ENDPOINT_BUFFERING } from '../../protocols/httpEndpoint/protocol.js';
import { buildHttpEndpointRequest, type HttpEndpointRequest } from './requestBuilder.js';
import { sendHttpEndpointRequest } from './sendRequest.js';

export type { HttpEndpointDestinationOptions } from './options.js';
export type { HttpEndpointPart, HttpEndpointRequest } from './requestBuilder.js';
export { HTTP_ENDPOINT_BUFFERING } from '../../protocols/httpEndpoint/protocol.js';

/** An HTTP endpoint destination: a {@link Destination} with Firehose's recommended buffering for it. */
// The type parameter is kept for source compatibility: the record type comes from the pipeline's source.
export interface HttpEndpointDestination<_T = unknown> extends Destination<HttpEndpointRequest> {
  readonly name: 'HttpEndpoint';
  readonly errorOutputType: 'http-endpoint-failed';
  readonly retryDurationMs: number;
  /** Firehose's buffering for HTTP endpoints, 5 MiB or 300 s: pass it to `bufferBySizeOrTime` before `deliverTo`. */
  readonly recommendedBuffering: { readonly maxBytes: number; readonly maxMs: number };
  build(batch: readonly unknown[], context: BuildContext): Promise<BuiltRequest<HttpEndpointRequest>>;
  send(request: HttpEndpointRequest, attempt: DeliveryAttempt): Promise<SendOutcome<HttpEndpointRequest>>;
}

/**
 * Delivers batches to any HTTP endpoint with Firehose's HTTP endpoint delivery protocol, so an endpoint
 * written for Amazon Data Firehose (a third-party service's, or one built with `httpEndpointListener`)
 * receives from rx-firehose exactly what it would receive from Firehose.
 *
 * <span class="informal">Firehose's HTTP endpoint destination: POST JSON with base64 records, 200 with the request id back means delivered.</span>
 *
 * ```
 * batch ──POST url──▶ endpoint        X-Amz-Firehose-Request-Id: <same on every retry of the batch>
 *       ◀── 200 {"requestId","timestamp"}   delivered
 *       ◀── 500 / reset / timeout            retried: 1 s, ×2, ±15%, ≤ 120 s, within retryDurationMs
 *       ◀── 413                              not retried: straight to the error output
 * ```
 *
 * Each batch is sent as one POST (split into several when it holds over 10,000 records or its body would
 * exceed 64 MiB) with the protocol's headers (`X-Amz-Firehose-Protocol-Version: 1.0`, request id, source
 * ARN, access key, common attributes) and body `{"requestId","timestamp","records":[{"data":"<base64>"}]}`,
 * gzipped with `contentEncoding: 'GZIP'`. Only a 200 whose JSON body echoes the request id is success;
 * any other answer is retried (redirects are not followed), except 413. What finally fails goes to the
 * error output as `http-endpoint-failed` records with `errorCode` `HttpEndpoint.DestinationException`
 * (and `InvalidResponseFromDestination`, `ResponseTooLarge`, `RequestTimeout`, `ConnectionFailed`,
 * `ConnectionReset`, `SSLHandshakeFailure`) and the endpoint's last `errorMessage`.
 *
 * Each batch's requests are built once; every retry resends the same body with the same request id, so the
 * endpoint can deduplicate retries. The access key never appears in errors, results or failure records. Buffer before
 * it with `bufferBySizeOrTime(HTTP_ENDPOINT_BUFFERING)` (5 MiB or 300 s, Firehose's defaults).
 *
 * ## Example
 * ```ts
 * import { directoryDestination, httpEndpointDestination, HTTP_ENDPOINT_BUFFERING } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const endpoint = httpEndpointDestination({
 *   url: 'https://ingest.example.com/firehose',
 *   accessKey: process.env.INGEST_KEY,
 *   commonAttributes: { env: 'prod' },
 *   contentEncoding: 'GZIP',
 * });
 * records$.pipe(
 *   bufferBySizeOrTime(HTTP_ENDPOINT_BUFFERING),
 *   deliverTo(endpoint, { errorOutput: directoryDestination({ path: './failed' }) }),
 * ).subscribe((result) => console.log(result.status, result.location));
 * ```
 *
 * @param options The URL, and optionally the access key, common attributes, content encoding, request
 * timeout (default 3 min), retry duration (default 300 s), source ARN, agent and CA certificates.
 * @returns A destination for `deliverTo` or `teeBackup`, named `HttpEndpoint` (metrics `DeliveryToHttpEndpoint.*`).
 * @throws {InvalidOptionError} at the call, for an invalid option (the access key is never shown).
 * @see httpEndpointListener for the receiving end.
 */
export function httpEndpointDestination<_T = unknown>(options: HttpEndpointDestinationOptions): HttpEndpointDestination<_T> {
  const config = checkHttpEndpointOptions(options);
  return {
    name: 'HttpEndpoint',
    errorOutputType: 'http-endpoint-failed',
    retryDurationMs: config.retryDurationMs,
    recommendedBuffering: HTTP_ENDPOINT_BUFFERING,
    build: (batch, { batchId, scheduler }) => buildHttpEndpointRequest(batch, batchId, scheduler.now(), config.gzip, PROTOCOL_LIMITS),
    send: (request, { signal, scheduler }) => sendHttpEndpointRequest(config, request, signal, scheduler),
  };
}
