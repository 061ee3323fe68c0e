import { AsyncSubject, catchError, from, map, merge, of, timer, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { MetricSink } from '../../metrics/MetricSink.js';
import { errorKindOf } from '../errorKindOf.js';
import { splunkError } from './hecErrors.js';
import type { HecService } from './service.js';
import { queryAcks } from './service.js';

interface Pending {
  readonly ackId: number;
  readonly sinceMs: number;
  readonly outcome: AsyncSubject<void>;
  readonly timeout: Subscription;
  readonly onAbort: () => void;
  readonly signal: AbortSignal;
}

/**
 * Indexer acknowledgement for one channel: the pending ackIds, polled together.
 *
 * ```
 * send ─▶ POST … ◀── {"ackId":7}  ─▶ awaitAck(7)
 * every ackPollIntervalMs while any is pending:
 *   POST /services/collector/ack {"acks":[5,6,7]}  (at most maxAckIdsPerQuery ids a query)
 *        ◀── {"acks":{"5":true,"6":false,"7":true}}  ─▶ 5 and 7 acknowledged, 6 still pending
 * ackTimeoutMs after awaitAck without `true`  ─▶ Splunk.AckTimeout (the engine sends the batch again)
 * ```
 *
 * 1. Polling runs only while something is pending: the first query `ackPollIntervalMs` after the first
 *    ackId, the next that long after the previous round of queries ended. How many acks may be pending at
 *    once is `deliverTo`'s `maxPendingAcks`, apart from its send `concurrency`.
 * 2. A query that fails for good (an invalid token, acknowledgement disabled) ends the ackIds it asked for
 *    with its error; a transient failure leaves them pending (the ack timeout bounds the wait) and is named
 *    in their `Splunk.AckTimeout` message.
 * 3. A new request numbered with an ackId that is still pending means HEC restarted and numbers from 0
 *    again: the pending ackIds from that number up belong to requests it forgot, and end at once with a
 *    retriable `Splunk.AckTimeout` (their data may be lost), so they are sent again.
 * 4. An answer ends only the waits it asked about, never one registered after the query left.
 *
 * Every wait runs on the scheduler it was given (virtual time under `TestScheduler`).
 */
export class AckPoller {
  private readonly pending = new Map<number, Pending>();
  private poll: Subscription | undefined;
  private polling = false;
  private lastQueryError: string | undefined;

  constructor(
    private readonly service: HecService,
    private readonly scheduler: SchedulerLike,
    private readonly metrics?: MetricSink,
  ) {}

  /** ackIds waiting for their acknowledgement. */
  get pendingAcks(): number {
    return this.pending.size;
  }

  /**
   * Starts waiting for `ackId`: polling, and the ack timeout, start now. Returns the acknowledgement: it
   * emits and completes when HEC reports the ackId indexed, and errors with `Splunk.AckTimeout` (retriable)
   * when that does not happen within the ack timeout, or with the ack query's error when it is permanent.
   * Unsubscribing from it does not stop the wait, which ends by ack or timeout; aborting `signal` does.
   */
  awaitAck(ackId: number, signal: AbortSignal): Observable<void> {
    // Rule 3: HEC restarted and numbers from 0 again; what is pending from this id up it has forgotten.
    for (const stale of [...this.pending.values()].filter((p) => p.ackId >= ackId)) {
      this.end(
        stale,
        splunkError(
          'Splunk.AckTimeout',
          `HEC numbered a new request ${ackId} while ackId ${stale.ackId} was pending: it restarted and forgot that acknowledgement.`,
          'transient',
        ),
      );
    }
    const outcome = new AsyncSubject<void>();
    const { ackTimeoutMs } = this.service.config;
    const onAbort = (): void => this.end(entry, signal.reason);
    const entry: Pending = {
      ackId,
      sinceMs: this.scheduler.now(),
      outcome,
      signal,
      onAbort,
      timeout: timer(ackTimeoutMs, this.scheduler).subscribe(() => {
        const last = this.lastQueryError === undefined ? '' : ` The last ack query failed: ${this.lastQueryError}`;
        this.end(
          entry,
          splunkError('Splunk.AckTimeout', `ackId ${ackId} was not acknowledged within ${ackTimeoutMs} ms.${last}`, 'transient'),
        );
      }),
    };
    this.pending.set(ackId, entry);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.schedulePoll();
    return outcome.asObservable();
  }

  /** Ends a wait, acknowledged (`error` undefined) or failed, unless it ended already. */
  private end(entry: Pending, error?: unknown): void {
    if (this.pending.get(entry.ackId) !== entry) return;
    this.pending.delete(entry.ackId);
    entry.timeout?.unsubscribe();
    entry.signal.removeEventListener('abort', entry.onAbort);
    if (error === undefined) {
      this.metrics?.('DeliveryToSplunk.DataAckLatency', (this.scheduler.now() - entry.sinceMs) / 1000, 'Seconds');
      entry.outcome.next();
      entry.outcome.complete();
    } else {
      entry.outcome.error(error);
    }
    if (this.pending.size === 0) {
      this.poll?.unsubscribe();
      this.poll = undefined;
    }
  }

  private schedulePoll(): void {
    if (this.poll !== undefined || this.polling || this.pending.size === 0) return;
    this.poll = timer(this.service.config.ackPollIntervalMs, this.scheduler).subscribe(() => {
      this.poll = undefined;
      this.runQueries();
    });
  }

  /** One round: every pending ackId, in queries of at most `maxAckIdsPerQuery`, all at once. */
  private runQueries(): void {
    // Rule 4: the waits asked about, not their ids (a restarted HEC may reuse an id for another request).
    const asked = [...this.pending.values()].sort((a, b) => a.ackId - b.ackId);
    const { maxAckIdsPerQuery } = this.service.config;
    const chunks: Pending[][] = [];
    for (let i = 0; i < asked.length; i += maxAckIdsPerQuery) chunks.push(asked.slice(i, i + maxAckIdsPerQuery));
    if (chunks.length === 0) return;
    this.polling = true;
    // Queries are not tied to one send: they stop only when their wait ends (ack, timeout or abort of each).
    const never = new AbortController().signal;
    merge(
      ...chunks.map((chunk) =>
        from(
          queryAcks(
            this.service,
            chunk.map((p) => p.ackId),
            never,
            this.scheduler,
          ),
        ).pipe(
          map((indexed) => ({ chunk, indexed, error: undefined as unknown })),
          catchError((error: unknown) => of({ chunk, indexed: new Set<number>() as ReadonlySet<number>, error })),
        ),
      ),
    ).subscribe({
      next: ({ chunk, indexed, error }) => {
        if (error !== undefined) {
          this.lastQueryError = (error as Error).message ?? String(error);
          if (errorKindOf(error) === 'permanent') for (const p of chunk) this.end(p, error);
          return;
        }
        this.lastQueryError = undefined;
        for (const p of chunk) if (indexed.has(p.ackId)) this.end(p);
      },
      complete: () => {
        this.polling = false;
        this.schedulePoll();
      },
    });
  }
}
