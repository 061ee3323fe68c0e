/**
 * The HEC test server's protocol core reached without sockets: a `HecTransport` that hands each request to
 * a {@link HecTestCollector} and answers synchronously. With the collector's clock set to a TestScheduler,
 * acknowledgement delays, polling and timeouts run in virtual time. Only the HTTP hop is left out; the
 * destination's own code (request builder, service, ack poller) runs as in production.
 */
import { Buffer } from 'node:buffer';
import { of } from 'rxjs';
import type { HecTransport } from '../../../src/destinations/splunk/transport.js';
import type { HecTestCollector } from './hecTestCollector.js';

/** A request that reached the collector, and when (on the scheduler's clock). */
export interface TimedRequest {
  readonly atMs: number;
  readonly path: string;
  readonly body: string;
}

export function inProcessHec(collector: HecTestCollector, log: TimedRequest[] = []): HecTransport {
  return (request, _signal, scheduler) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    const url = `${request.url.pathname}${request.url.search}`;
    log.push({ atMs: scheduler.now(), path: request.url.pathname, body: Buffer.from(request.body).toString('utf8') });
    const { status, body } = collector.handle({ method: request.method, url, headers, body: request.body });
    return of({ status, text: JSON.stringify(body) });
  };
}
