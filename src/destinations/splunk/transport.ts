import type { ObservableInput, SchedulerLike } from 'rxjs';

/** One HTTP request to HEC, as the service built it. */
export interface HecHttpRequest {
  readonly method: 'POST' | 'GET';
  /** The full URL, e.g. `https://splunk:8088/services/collector/raw`. */
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** HEC's answer: the status and the body as text. */
export interface HecHttpResponse {
  readonly status: number;
  readonly text: string;
}

/**
 * How requests reach HEC: sends one request and answers with the response, whatever its status; fails only
 * when no response came (a `DeliveryError` in Firehose's vocabulary, e.g. `Splunk.ConnectionClosed`).
 * The default sends with Node's `http`/`https` ({@link nodeHecTransport}); tests pass an in-process HEC
 * that answers at once, so that acknowledgement timing runs in virtual time.
 *
 * A transport must not put the `Authorization` header (the HEC token) in any error it reports.
 */
export type HecTransport = (request: HecHttpRequest, signal: AbortSignal, scheduler: SchedulerLike) => ObservableInput<HecHttpResponse>;
