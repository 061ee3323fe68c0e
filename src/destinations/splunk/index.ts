import { defer, map, type Observable, type SchedulerLike } from 'rxjs';
import type { BuildContext, BuiltRequest, DeliveryAttempt, Destination, SendOutcome } from '../Destination.js';
import { AckPoller } from './ackPoller.js';
import { checkSplunkHecOptions, SPLUNK_BUFFERING_LIMITS, type SplunkHecDestinationOptions } from './options.js';
import { buildHecRequest, type HecRequest } from './requestBuilder.js';
import { HEC_PATHS, hecService, postData } from './service.js';

export type { HecEndpointType, HecEventMetadata, SplunkHecDestinationOptions } from './options.js';
export type { HecRequest } from './requestBuilder.js';
export type { HecHttpRequest, HecHttpResponse, HecTransport } from './transport.js';
export { SPLUNK_ERROR_MESSAGES } from './hecErrors.js';

/**
 * Firehose's buffering for Splunk, 5 MiB or 60 s, whichever comes first: pass it to `bufferBySizeOrTime`
 * before `deliverTo` (Firehose allows 1–5 MiB and 0–60 s for Splunk).
 *
 * ## Example
 * ```ts
 * import { SPLUNK_BUFFERING } from 'rx-firehose';
 * import { bufferBySizeOrTime } from 'rx-firehose/operators';
 * records$.pipe(bufferBySizeOrTime(SPLUNK_BUFFERING)); // { maxBytes: 5 << 20, maxMs: 60_000 }
 * ```
 */
export const SPLUNK_BUFFERING: { readonly maxBytes: number; readonly maxMs: number } = Object.freeze({
  maxBytes: SPLUNK_BUFFERING_LIMITS.maxBytes,
  maxMs: 60_000,
});

/**
 * A Splunk HEC destination: the request builder and service of the destination contract, with indexer
 * acknowledgement as a pending acknowledgement.
 */
export interface SplunkHecDestination extends Destination<HecRequest> {
  readonly name: 'Splunk';
  readonly errorOutputType: 'splunk-failed';
  readonly retryDurationMs: number;
  readonly ackTimeoutMs: number;
  /** The channel (`X-Splunk-Request-Channel`) every request of this destination is sent on. */
  readonly channel: string;
  /** Firehose's buffering for Splunk, 5 MiB or 60 s. */
  readonly recommendedBuffering: { readonly maxBytes: number; readonly maxMs: number };
  /** Builds at once (no Promise): one batch, one request. */
  build(batch: readonly unknown[], context: BuildContext): BuiltRequest<HecRequest>;
}

/**
 * Delivers batches to a Splunk HTTP Event Collector (HEC) as Firehose does, and counts them delivered only
 * when Splunk's indexer acknowledged them.
 *
 * <span class="informal">Firehose's Splunk destination: post to HEC on one channel, poll `/services/collector/ack`, resend what was not acknowledged in time.</span>
 *
 * ```
 * batch ──POST /services/collector/raw (or /event)──▶ HEC      Authorization: Splunk <token>
 *       ◀── 200 {"text":"Success","code":0,"ackId":7}          X-Splunk-Request-Channel: <channel>
 *       …every ackPollIntervalMs: POST /services/collector/ack {"acks":[…,7,…]}
 *       ◀── {"acks":{"7":true}}                               delivered (records settle now)
 *       no true within ackTimeoutMs (180 s)                    Splunk.AckTimeout: sent again
 *       ◀── 503 {"text":"Server is busy","code":9}             retried (throttled), within retryDurationMs
 *       ◀── 403 {"text":"Invalid token","code":4}              not retried: splunk-failed records
 * ```
 *
 * Each batch becomes one request, built once: `Raw` (default) concatenates the records' bytes (HEC breaks
 * events at line ends, so give records their `\n`); `Event` concatenates records that are each a HEC
 * event (`{"event":…}`), or wraps each record in one with `wrapEvents`. The send is accepted with an
 * `ackId`, and the acknowledgement is pending until a poll of `/services/collector/ack` (ackIds of the
 * channel batched, at most `maxAckIdsPerQuery` a query) reports it `true`; `deliverTo`'s `maxPendingAcks`
 * bounds how many are pending at once, apart from how many sends run. An acknowledgement not seen within `ackTimeoutMs`
 * sends the batch again, as Firehose does: Splunk may have indexed it anyway, so this is where duplicates
 * come from. A HEC whose token has no indexer acknowledgement answers 200 without `ackId`: that counts as
 * delivered at once (Firehose itself requires acknowledgement).
 *
 * HEC's error codes map to Firehose's: a disabled or invalid token, a wrong index or data HEC cannot read
 * are permanent (`Splunk.DisabledToken`, `Splunk.InvalidToken`, `Splunk.InvalidIndex`,
 * `Splunk.InvalidDataFormat`); a busy server (503, code 9) and 429 are throttled; other 5xx, timeouts and
 * connection failures are retried (`Splunk.ServerError`, `Splunk.ConnectionTimeout`,
 * `Splunk.ConnectionClosed`, `Splunk.InvalidEndpoint`). What finally fails goes to the error output as
 * `splunk-failed` records with Firehose's fields (and `EventId` for records from Kinesis). The token is
 * sent only in its header and never appears in errors, results or failure records.
 *
 * ## Example
 * ```ts
 * import { directoryDestination, splunkHecDestination, SPLUNK_BUFFERING } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const splunk = splunkHecDestination({
 *   endpoint: 'https://splunk.example.com:8088',
 *   token: process.env.HEC_TOKEN!,
 *   endpointType: 'Raw',
 * });
 * records$.pipe(
 *   bufferBySizeOrTime(SPLUNK_BUFFERING),
 *   deliverTo(splunk, { errorOutput: directoryDestination({ path: './failed' }) }),
 * ).subscribe((result) => console.log(result.status, result.location));
 * ```
 *
 * @param options The endpoint and token, and optionally the endpoint type, channel, ack timeout (180–600 s,
 * default 180 s), retry duration (0–7200 s, default 300 s), ack polling, and the transport.
 * @returns A destination for `deliverTo`, named `Splunk` (metrics `DeliveryToSplunk.*`).
 * @throws {InvalidOptionError} at the call, for an invalid option (the token is never shown).
 * @see httpEndpointDestination for Firehose's HTTP endpoint protocol.
 */
export function splunkHecDestination(options: SplunkHecDestinationOptions): SplunkHecDestination {
  const config = checkSplunkHecOptions(options);
  const service = hecService(config);
  // One poller per scheduler: a destination reused in pipelines on different clocks polls on each.
  const pollers = new WeakMap<SchedulerLike, AckPoller>();
  const pollerFor = (scheduler: SchedulerLike): AckPoller => {
    let poller = pollers.get(scheduler);
    if (poller === undefined) pollers.set(scheduler, (poller = new AckPoller(service, scheduler, config.metrics)));
    return poller;
  };
  const location = `${new URL(HEC_PATHS[config.endpointType], config.endpoint).href}?channel=${config.channel}`;

  const send = (request: HecRequest, attempt: DeliveryAttempt): Observable<SendOutcome<HecRequest>> => {
    const poller = pollerFor(attempt.scheduler);
    return defer(() => postData(service, request.body, attempt.signal, attempt.scheduler)).pipe(
      map(
        ({ ackId }): SendOutcome<HecRequest> =>
          ackId === undefined
            ? { status: 'accepted', location }
            : { status: 'accepted', location: `${location}#ackId=${ackId}`, acknowledgement: poller.awaitAck(ackId, attempt.signal) },
      ),
    );
  };

  const build = (batch: readonly unknown[], context: BuildContext): BuiltRequest<HecRequest> => buildHecRequest(config, batch, context);

  return {
    name: 'Splunk',
    errorOutputType: 'splunk-failed',
    retryDurationMs: config.retryDurationMs,
    ackTimeoutMs: config.ackTimeoutMs,
    channel: config.channel,
    recommendedBuffering: SPLUNK_BUFFERING,
    build,
    send,
    failureFields: (record) => {
      const k = (record as { kinesisRecordMetadata?: { sequenceNumber?: unknown; subsequenceNumber?: unknown } } | null)
        ?.kinesisRecordMetadata;
      return typeof k?.sequenceNumber === 'string'
        ? { EventId: `${k.sequenceNumber}.${typeof k.subsequenceNumber === 'number' ? k.subsequenceNumber : 0}` }
        : {};
    },
  };
}
