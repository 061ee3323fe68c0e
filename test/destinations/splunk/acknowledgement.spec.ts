/**
 * Indexer acknowledgement in virtual time: ack polling, batched ack queries, the ack timeout, the bound on
 * pending acks, a restarted HEC. HEC is the HEC test server's protocol core (written from Splunk's HEC
 * documentation), reached in-process so that its clock is the TestScheduler's; the destination's request
 * builder, service and ack poller run unchanged.
 */
import { randomUUID } from 'node:crypto';
import { from, map, mergeMap, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { splunkHecDestination, type SplunkHecDestinationOptions } from '../../../src/destinations/splunk/index.js';
import {
  type Accepted,
  type DeliveryRequest,
  type ErrorOutput,
  type FailureRecord,
  type FirehoseRecord,
  type MetricUnit,
} from '../../../src/index.js';

interface FailuresRequest extends DeliveryRequest {
  readonly failures: readonly FailureRecord[];
}
import { deliverTo } from '../../../operators/index.js';
import { HecTestCollector, type HecTestCollectorOptions } from '../../support/hec/hecTestCollector.js';
import { inProcessHec, type TimedRequest } from '../../support/hec/inProcessHec.js';

const TOKEN = '8d3b5c1e-0000-4000-8000-00000000beef';
const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const record = (text: string, i = 0): FirehoseRecord => ({
  recordId: String(i),
  data: new TextEncoder().encode(text),
  approximateArrivalTimestamp: 1_700_000_000_000 + i,
});

/** A destination on an in-process HEC whose clock is `scheduler`'s. */
function setup(scheduler: TestScheduler, hec: Partial<HecTestCollectorOptions> = {}, options: Partial<SplunkHecDestinationOptions> = {}) {
  const collector = new HecTestCollector({ tokens: { [TOKEN]: {} }, now: () => scheduler.now(), ...hec });
  const log: TimedRequest[] = [];
  const metrics: Array<{ name: string; value: number; unit: MetricUnit }> = [];
  const destination = splunkHecDestination({
    endpoint: 'https://hec.example:8088',
    token: TOKEN,
    transport: inProcessHec(collector, log),
    ackPollIntervalMs: 10_000,
    metrics: (name, value, unit) => metrics.push({ name, value, unit }),
    ...options,
  });
  const signal = new AbortController().signal;
  /** Builds and sends `records` as batch `batchId`; emits the accepted outcome. */
  const send = (records: FirehoseRecord[], batchId = randomUUID()): Observable<Accepted> => {
    const built = destination.build(records, { batchId, scheduler, signal });
    return from(destination.send(built.request!, { attempt: 1, batchId, scheduler, signal })).pipe(
      map((outcome) => {
        if (outcome.status !== 'accepted') throw new Error(`unexpected ${outcome.status}`);
        return outcome;
      }),
    );
  };
  /** The acknowledgement of one send, as letters: `a` when it arrives, `#` with the error. */
  const acknowledged = (records: FirehoseRecord[]): Observable<string> =>
    send(records).pipe(mergeMap((outcome) => from(outcome.acknowledgement!).pipe(map(() => 'a'))));
  const at = (path: string) => log.filter((r) => r.path === path).map((r) => r.atMs);
  return { collector, destination, log, metrics, send, acknowledged, at };
}

describe('splunkHecDestination: indexer acknowledgement (virtual time)', () => {
  it('should poll /services/collector/ack every ackPollIntervalMs while the ack is pending, and acknowledge when HEC has indexed', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const t = setup(scheduler, { indexing: { afterMs: 25_000 } });
      //                                       polls at 10 s, 20 s: false; 30 s: true
      expectObservable(t.acknowledged([record('one\n')])).toBe('30s (a|)');
      scheduler.flush();
      expect(t.at('/services/collector/raw')).toEqual([0]);
      expect(t.at('/services/collector/ack')).toEqual([10_000, 20_000, 30_000]);
      expect(t.metrics).toEqual([{ name: 'DeliveryToSplunk.DataAckLatency', value: 30, unit: 'Seconds' }]);
    });
  });

  it('should answer the send at once, accepted with a pending acknowledgement, so the send slot is free while the ack is pending', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const t = setup(scheduler, { indexing: { afterMs: 25_000 } });
      expectObservable(
        t.send([record('one\n')]).pipe(map((o) => `${o.status}, ack ${o.acknowledgement === undefined ? 'none' : 'pending'}`)),
      ).toBe('(s|)', { s: 'accepted, ack pending' });
    });
  });

  it('should not poll at all when HEC answers without an ackId (acknowledgement disabled): accepted, nothing pending', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const t = setup(scheduler, { tokens: { [TOKEN]: { useAck: false } } });
      expectObservable(t.send([record('x\n')]).pipe(map((o) => (o.acknowledgement === undefined ? 'd' : 'p')))).toBe('(d|)');
      scheduler.flush();
      expect(t.at('/services/collector/ack')).toEqual([]);
      expect(t.collector.indexed.map((e) => e.event)).toEqual(['x']);
    });
  });

  it('should ask for the ackIds of the channel together, at most maxAckIdsPerQuery in one query', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const t = setup(scheduler, { indexing: { afterMs: 0 } }, { maxAckIdsPerQuery: 2 });
      const five = cold('abcde|').pipe(mergeMap((c) => t.acknowledged([record(`${c}\n`)]).pipe(map(() => c))));
      // Sent at 0–4 ms; the round of queries starts 10 s after the first ackId and asks for all five.
      expectObservable(five).toBe('10s (abcde|)');
      scheduler.flush();
      const queries = t.log.filter((r) => r.path === '/services/collector/ack');
      expect(queries.map((q) => [q.atMs, JSON.parse(q.body)])).toEqual([
        [10_000, { acks: [0, 1] }],
        [10_000, { acks: [2, 3] }],
        [10_000, { acks: [4] }],
      ]);
    });
  });

  it('should fail the acknowledgement with Splunk.AckTimeout (retriable) exactly ackTimeoutMs after the send, and stop polling', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const t = setup(scheduler, { indexing: 'manual' }, { ackTimeoutMs: 200_000, ackPollIntervalMs: 60_000 });
      expectObservable(t.acknowledged([record('x\n')])).toBe(
        '200s #',
        undefined,
        expect.objectContaining({
          code: 'Splunk.AckTimeout',
          kind: 'transient',
          message: expect.stringMatching(
            /^Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout expired\..* ackId 0 was not acknowledged within 200000 ms\.$/,
          ),
        }),
      );
      scheduler.flush();
      expect(t.at('/services/collector/ack')).toEqual([60_000, 120_000, 180_000]);
    });
  });

  it('should never count an ack that HEC loses as delivered (indexed, but the ack never reads true)', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const t = setup(scheduler, { loseAcks: true });
      expectObservable(t.acknowledged([record('x\n')]).pipe(map(String))).toBe(
        '180s #',
        undefined,
        expect.objectContaining({ code: 'Splunk.AckTimeout' }),
      );
      scheduler.flush();
      expect(t.collector.indexed).toHaveLength(1);
    });
  });

  it('through deliverTo: should hold sends while maxPendingAcks are pending, apart from send concurrency, and send the next when an ack frees room', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const t = setup(scheduler, { indexing: { afterMs: 15_000 } });
      // Four batches at once; one send at a time plus two acks pending at most, so three are out at once: a, b
      // and c are posted at 0 (c's send slot is held until an ack slot frees); d waits for room, which the
      // first poll (10 s: not yet indexed) does not make and the second (20 s) does.
      const batches = cold('(abcd|)', { a: [record('a\n')], b: [record('b\n')], c: [record('c\n')], d: [record('d\n')] });
      const results = batches.pipe(
        deliverTo(t.destination, { scheduler, concurrency: 1, maxPendingAcks: 2 }),
        map((r) => new TextDecoder().decode((r.records[0] as FirehoseRecord).data).trim()),
      );
      // d is sent at 20 s, indexed at 35 s, acknowledged at the 40 s poll.
      expectObservable(results).toBe('20s (abc) 19995ms (d|)');
      scheduler.flush();
      expect(t.at('/services/collector/raw')).toEqual([0, 0, 0, 20_000]);
    });
  });

  it('should fail at once the acks a restarted HEC forgot, when it numbers a new request with a pending ackId', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const t = setup(scheduler, { indexing: 'manual' });
      const first = t.acknowledged([record('before\n')]).pipe(map(String));
      // HEC restarts at 5 s (ackId 0 and the unindexed data are gone); a send at 6 s is numbered 0 again.
      cold('5s r').subscribe(() => t.collector.restart());
      const second = cold('6s s').pipe(
        mergeMap(() => t.send([record('after\n')])),
        map(() => 's'),
      );
      expectObservable(first).toBe(
        '6s #',
        undefined,
        expect.objectContaining({
          code: 'Splunk.AckTimeout',
          message: expect.stringContaining('it restarted and forgot that acknowledgement'),
        }),
      );
      expectObservable(second).toBe('6s s');
    });
  });

  it('should end pending acks at once with a permanent ack-query error (acknowledgement disabled for the token)', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const t = setup(scheduler, { indexing: 'manual' });
      const ack = t.acknowledged([record('x\n')]).pipe(map(String));
      // The token loses indexer acknowledgement after the send: the ack query answers 400, code 14.
      scheduler.schedule(() => t.collector.setToken(TOKEN, { useAck: false }), 1_000);
      expectObservable(ack).toBe('10s #', undefined, expect.objectContaining({ code: 'Splunk.DisabledAck', kind: 'permanent' }));
    });
  });

  it('should keep an ack pending through transient ack-query failures, and name the last one when it times out', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable }) => {
      const t = setup(scheduler, { indexing: 'manual' }, { ackPollIntervalMs: 60_000 });
      const ack = t.acknowledged([record('x\n')]).pipe(map(String));
      scheduler.schedule(() => (t.collector.busy = true), 1);
      expectObservable(ack).toBe(
        '180s #',
        undefined,
        expect.objectContaining({ code: 'Splunk.AckTimeout', message: expect.stringContaining('The last ack query failed:') }),
      );
    });
  });

  it('through deliverTo: should send a batch again when its ack is not seen within the ack timeout, which duplicates what HEC had indexed', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      // HEC indexes at once but loses the acks until 180.5 s.
      const t = setup(scheduler, { loseAcks: true });
      scheduler.schedule(() => t.collector.setLoseAcks(false), 180_500);
      const results = cold('(a|)', { a: [record('x\n')] }).pipe(
        deliverTo(t.destination, { scheduler, random: () => 0.5 }),
        map((r) => `${r.status} after ${r.attempts} attempts`),
      );
      // 0 s: sent (ackId 0); 180 s: Splunk.AckTimeout; 181 s: sent again after 1 s of backoff (ackId 1);
      // 191 s: the poll reads ackId 1 true.
      expectObservable(results).toBe('191s (d|)', { d: 'delivered after 2 attempts' });
      scheduler.flush();
      expect(t.at('/services/collector/raw')).toEqual([0, 181_000]);
      expect(t.collector.indexed.map((e) => e.event)).toEqual(['x', 'x']);
    });
  });

  it('through deliverTo: should give up after the retry duration and write Splunk.AckTimeout failure records', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const t = setup(scheduler, { indexing: 'manual' }, { retryDurationMs: 0 });
      const written: FailureRecord[] = [];
      const errorOutput: ErrorOutput<FailuresRequest> = {
        name: 'Memory',
        buildFailures: (failures) => ({ request: { ids: [], items: failures.map((_f, i) => i), bytes: 0, failures } }),
        send: (request) => (written.push(...request.failures), of({ status: 'accepted', location: 'memory' } as const)),
      };
      const results = cold('(a|)', { a: [record('x\n')] }).pipe(
        deliverTo(t.destination, { scheduler, errorOutput }),
        map((r) => `${r.status}: ${r.errorCode}`),
      );
      expectObservable(results).toBe('180s (f|)', { f: 'failed-to-error-output: Splunk.AckTimeout' });
      scheduler.flush();
      expect(written).toEqual([
        {
          attemptsMade: 1,
          arrivalTimestamp: 1_700_000_000_000,
          errorCode: 'Splunk.AckTimeout',
          errorMessage: expect.stringContaining("it's possible the data was indexed successfully in Splunk"),
          attemptEndingTimestamp: 180_000,
          rawData: Buffer.from('x\n').toString('base64'),
        },
      ]);
    });
  });
});
