import { describe, expect, it } from 'vitest';
import {
  defer,
  from,
  lastValueFrom,
  map,
  NEVER,
  Subject,
  switchMap,
  take,
  tap,
  toArray,
  type Observable,
  type ObservableInput,
} from 'rxjs';
import { bufferBySizeOrTime, deliverTo } from '../../operators/index.js';
import {
  DeliveryError,
  UndeliverableRecordsError,
  type DeliveryRequest,
  type DeliveryResult,
  type Destination,
  type ErrorOutput,
  type FailureRecord,
  type FirehoseRecord,
  type SendOutcome,
} from '../../src/index.js';
import { trackSettlements } from '../../src/testing/index.js';

/** A destination under test over fresh, empty storage, with ways to read back what it stored and to fail its wire. */
export interface ConformanceSetup {
  readonly destination: Destination;
  /** An error output (often the destination itself). */
  readonly errorOutput: ErrorOutput;
  /** Every line of every delivered object or request (decompressed), in any order. */
  readonly readDelivered: () => Promise<string[]>;
  /** Every failure record written, in any order. */
  readonly readFailures: () => Promise<FailureRecord[]>;
  /**
   * Records (as `recordsOf` makes them, possibly with more fields) that this destination builds into at least
   * two wire requests. Absent when the target sends every batch as one wire request (`oneWireRequestPerBatch`).
   */
  readonly splitBatch?: () => FirehoseRecord[];
  /** The next send of the wire request with this id (an object key, an HTTP request id) fails once, transiently, on the wire. */
  readonly failWireOnce?: (id: string) => void;
  readonly close: () => Promise<void>;
}

export interface ConformanceTarget {
  readonly create: () => Promise<ConformanceSetup>;
  /**
   * `true` for a destination that sends every batch as one wire request (Splunk HEC: one POST, one ackId):
   * instead of a partial retry, the suite checks that a batch goes out as one request, resent whole.
   */
  readonly oneWireRequestPerBatch?: boolean;
  /**
   * `true` for a destination whose receiver cannot tell a resend from new data (Splunk HEC has no request
   * ids): a batch whose answer was lost is then checked to be there twice, never lost.
   */
  readonly duplicatesAfterLostAnswer?: boolean;
  /** An ack timeout that the destination's real acknowledgements meet (Splunk HEC's are polled). Default 1 ms. */
  readonly ackTimeoutMs?: number;
}

type Fault = 'ok' | 'fail-before' | 'fail-after' | 'permanent' | 'late-ack' | 'lost-ack';

interface Sent {
  readonly request: DeliveryRequest;
  readonly ids: readonly string[];
  readonly signal: AbortSignal;
}

/**
 * Wraps a real destination (a test double around the real builder and service, named as such): counts
 * builds, records every send (the request object, its ids, its signal), and applies `plan` to sends in
 * order: `fail-before` fails without sending, `fail-after` sends and then fails (a lost answer),
 * `permanent` fails for good, `late-ack` turns an accepted send into one whose acknowledgement arrives when
 * `acks` emits, `lost-ack` into one whose acknowledgement never arrives. A send for which `held` is true
 * starts only when `release` emits.
 */
function instrument(real: Destination, plan: Fault[] = [], held: (request: DeliveryRequest) => boolean = () => false) {
  const sent: Sent[] = [];
  let builds = 0;
  const acks = new Subject<void>();
  const release = new Subject<void>();
  let sendStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (sendStarted = resolve));
  const destination: Destination = {
    name: real.name,
    ...(real.errorOutputType === undefined ? {} : { errorOutputType: real.errorOutputType }),
    build(batch, context) {
      builds++;
      return real.build(batch, context);
    },
    send(request, attempt): Observable<SendOutcome> {
      sent.push({ request, ids: [...request.ids], signal: attempt.signal });
      sendStarted();
      const fault = plan.shift() ?? 'ok';
      if (fault === 'fail-before') throw new DeliveryError(`${real.name}.Injected`, 'injected before sending');
      if (fault === 'permanent') throw new DeliveryError(`${real.name}.InjectedPermanent`, 'injected, permanent', { kind: 'permanent' });
      const sending = defer(() => from(real.send(request, attempt) as ObservableInput<SendOutcome>));
      return (
        held(request)
          ? release.pipe(
              take(1),
              switchMap(() => sending),
            )
          : sending
      ).pipe(
        map((outcome): SendOutcome => {
          if (fault === 'fail-after') throw new DeliveryError(`${real.name}.InjectedAfter`, 'sent, but the answer was lost');
          if (outcome.status !== 'accepted') return outcome;
          if (fault === 'late-ack') return { ...outcome, acknowledgement: acks };
          if (fault === 'lost-ack') return { ...outcome, acknowledgement: NEVER };
          return outcome;
        }),
      );
    },
  };
  return { destination, sent, acks, release, started, builds: () => builds };
}

const line = (i: number): string => `{"n":${i},"pad":"${'x'.repeat(i % 7)}"}`;
/** Records with a partition key, so that destinations with dynamic partitioning can lay them out too. */
export const recordsOf = (n: number, base = 0, partition = 'a'): FirehoseRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    recordId: String(base + i),
    data: new TextEncoder().encode(line(base + i) + '\n'),
    approximateArrivalTimestamp: Date.UTC(2026, 10, 26, 9, 30) + i,
    partitionKeys: { p: partition },
  }));
const fast = { backoff: { initialMs: 1, maxMs: 5 }, retryDurationMs: 10_000 };

async function deliverAll(
  destination: Destination,
  errorOutput: ErrorOutput | undefined,
  batches: FirehoseRecord[][],
  options: object = {},
): Promise<DeliveryResult<FirehoseRecord>[]> {
  return lastValueFrom(from(batches).pipe(deliverTo(destination, { ...fast, errorOutput, ...options }), toArray()));
}

/** The behaviours every destination must have, checked against the real thing. */
export function describeDestinationConformance(name: string, target: ConformanceTarget): void {
  describe(`${name}: destination conformance`, () => {
    const withTarget = (test: (t: ConformanceSetup) => Promise<void>) => async () => {
      const t = await target.create();
      try {
        await test(t);
      } finally {
        await t.close();
      }
    };

    it(
      'should store every record of every batch, and settle them as delivered',
      withTarget(async ({ destination, readDelivered }) => {
        const records = recordsOf(25);
        const log = trackSettlements(records);
        const results = await deliverAll(destination, undefined, [records.slice(0, 10), records.slice(10)]);
        // Results come in the order batches finish, which with the destination's own concurrency need not be the input order.
        expect(results.map((r) => [r.status, r.records.length, r.attempts]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
          ['delivered', 10, 1],
          ['delivered', 15, 1],
        ]);
        expect(results.every((r) => typeof r.location === 'string' && r.location !== '')).toBe(true);
        expect((await readDelivered()).sort()).toEqual(records.map((_r, i) => line(i)).sort());
        expect(log.events.map((e) => e.outcome)).toEqual(Array(25).fill('delivered'));
      }),
    );

    it(
      'should retry a transient failure, resending the request it built once',
      withTarget(async ({ destination, readDelivered }) => {
        const probe = instrument(destination, ['fail-before', 'fail-before']);
        const [result] = await deliverAll(probe.destination, undefined, [recordsOf(3)]);
        expect(result).toMatchObject({ status: 'delivered', attempts: 3 });
        expect(probe.builds()).toBe(1);
        expect(probe.sent.map((s) => s.request)).toEqual([probe.sent[0]!.request, probe.sent[0]!.request, probe.sent[0]!.request]);
        expect((await readDelivered()).sort()).toEqual([line(0), line(1), line(2)].sort());
      }),
    );

    it(
      target.duplicatesAfterLostAnswer === true
        ? 'should resend identical bytes with the same request ids when an answer was lost: the batch is there twice, never lost'
        : 'should resend identical bytes with the same request ids when an answer was lost, and not duplicate the batch',
      withTarget(async ({ destination, readDelivered }) => {
        const probe = instrument(destination, ['fail-after']);
        const [result] = await deliverAll(probe.destination, undefined, [recordsOf(4)]);
        expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
        expect(probe.builds()).toBe(1);
        // The very same request object: its bytes were built once and are sent again as they are.
        expect(probe.sent[1]!.request).toBe(probe.sent[0]!.request);
        expect(probe.sent[1]!.ids).toEqual(probe.sent[0]!.ids);
        const once = [0, 1, 2, 3].map(line);
        expect((await readDelivered()).sort()).toEqual((target.duplicatesAfterLostAnswer === true ? [...once, ...once] : once).sort());
      }),
    );

    it(
      'should not retry a permanent failure, and write Firehose failure records to the error output',
      withTarget(async ({ destination, errorOutput, readDelivered, readFailures }) => {
        const records = recordsOf(2);
        const log = trackSettlements(records);
        const probe = instrument(destination, ['permanent']);
        const [result] = await deliverAll(probe.destination, errorOutput, [records]);
        expect(probe.sent).toHaveLength(1);
        expect(result).toMatchObject({ status: 'failed-to-error-output', errorCode: `${destination.name}.InjectedPermanent` });
        expect(typeof result!.errorLocation).toBe('string');
        expect(await readDelivered()).toEqual([]);
        const failures = (await readFailures()).sort((a, b) => a.arrivalTimestamp - b.arrivalTimestamp);
        expect(failures).toHaveLength(2);
        failures.forEach((f, i) => {
          expect(Object.keys(f)).toEqual([
            'attemptsMade',
            'arrivalTimestamp',
            'errorCode',
            'errorMessage',
            'attemptEndingTimestamp',
            'rawData',
          ]);
          expect(f).toMatchObject({
            attemptsMade: 1,
            arrivalTimestamp: records[i]!.approximateArrivalTimestamp,
            errorCode: `${destination.name}.InjectedPermanent`,
            errorMessage: 'injected, permanent',
          });
          expect(Buffer.from(f.rawData, 'base64').toString()).toBe(line(i) + '\n');
        });
        expect(log.events.map((e) => e.outcome)).toEqual(['failed', 'failed']);
      }),
    );

    if (target.oneWireRequestPerBatch === true) {
      it(
        'should send a batch as one wire request, and resend it whole when it fails',
        withTarget(async ({ destination, readDelivered }) => {
          const records = recordsOf(25);
          const probe = instrument(destination, ['fail-before']);
          const [result] = await deliverAll(probe.destination, undefined, [records]);
          expect(result).toMatchObject({ status: 'delivered', attempts: 2, failed: [] });
          expect(probe.sent.map((s) => [s.ids.length, s.request.items.length])).toEqual([
            [1, 25],
            [1, 25],
          ]);
          expect(probe.sent[1]!.request).toBe(probe.sent[0]!.request);
          expect((await readDelivered()).sort()).toEqual(records.map((_r, i) => line(i)).sort());
        }),
      );
    } else {
      it(
        'should retry only the wire request that failed, keeping its request id, and store every record once',
        withTarget(async ({ destination, readDelivered, splitBatch, failWireOnce }) => {
          const records = splitBatch!();
          const probe = instrument(destination);
          // Fail, once, the second wire request of the batch as deliverTo will build it: its ids are known only after the build.
          const failSecond: Destination = {
            ...probe.destination,
            build: probe.destination.build,
            send(request, attempt) {
              if (attempt.attempt === 1) failWireOnce!(request.ids[1]!);
              return probe.destination.send(request, attempt);
            },
          };
          const [result] = await deliverAll(failSecond, undefined, [records]);
          expect(result).toMatchObject({ status: 'delivered', attempts: 2, failed: [] });
          const [first, retry] = probe.sent;
          expect(first!.ids.length).toBeGreaterThanOrEqual(2);
          expect(retry!.ids).toEqual([first!.ids[1]]);
          expect(probe.builds()).toBe(1);
          expect((await readDelivered()).sort()).toEqual(records.map((r) => line(Number(r.recordId))).sort());
        }),
      );
    }

    it(
      'should abort the send in flight when unsubscribed, and emit nothing',
      withTarget(async ({ destination }) => {
        const probe = instrument(destination);
        const results: unknown[] = [];
        const subscription = from([recordsOf(3)])
          .pipe(deliverTo(probe.destination, fast))
          .subscribe((r) => results.push(r));
        await probe.started;
        subscription.unsubscribe();
        expect(probe.sent[0]!.signal.aborted).toBe(true);
        expect(results).toEqual([]);
      }),
    );

    it(
      'should settle records only when a late acknowledgement arrives, sending other batches meanwhile',
      withTarget(async ({ destination, readDelivered }) => {
        const probe = instrument(destination, ['late-ack', 'ok']);
        const first = recordsOf(2);
        const second = recordsOf(2, 2);
        const log = trackSettlements([...first, ...second]);
        const results: DeliveryResult<FirehoseRecord>[] = [];
        let firstResult: () => void = () => undefined;
        const oneResult = new Promise<void>((resolve) => (firstResult = resolve));
        const done = new Promise<void>((resolve, reject) =>
          from([first, second])
            .pipe(deliverTo(probe.destination, fast))
            .subscribe({ next: (r) => (results.push(r), firstResult()), error: reject, complete: resolve }),
        );
        // Whatever the concurrency, the second batch is sent and delivered while the first awaits its acknowledgement.
        await oneResult;
        expect(results[0]!.records).toEqual(second);
        expect(log.events.map((e) => e.index).sort()).toEqual([2, 3]);
        probe.acks.next();
        await done;
        expect(results.map((r) => r.status)).toEqual(['delivered', 'delivered']);
        expect(log.unsettled()).toEqual([]);
        expect((await readDelivered()).sort()).toEqual([0, 1, 2, 3].map(line).sort());
      }),
    );

    it(
      'should emit each result when its batch finishes, not in input order, and settle each batch on its own',
      withTarget(async ({ destination, readDelivered }) => {
        const first = recordsOf(2);
        const second = recordsOf(3, 2);
        // The first batch's send (told apart by its count of records: both batches build at once, in either
        // order) is held until the second batch's result is out.
        const probe = instrument(destination, [], (request) => request.items.length === first.length);
        const log = trackSettlements([...first, ...second]);
        const settledAtResult: number[][] = [];
        const results = await lastValueFrom(
          from([first, second]).pipe(
            deliverTo(probe.destination, { ...fast, concurrency: 2 }),
            tap(() => {
              settledAtResult.push(log.events.map((e) => e.index).sort());
              probe.release.next();
            }),
            toArray(),
          ),
        );
        expect(results.map((r) => [r.status, r.records])).toEqual([
          ['delivered', second],
          ['delivered', first],
        ]);
        // A result comes once its own records are settled, whatever became of the batches that came before it.
        expect(settledAtResult).toEqual([
          [2, 3, 4],
          [0, 1, 2, 3, 4],
        ]);
        expect((await readDelivered()).sort()).toEqual([0, 1, 2, 3, 4].map(line).sort());
      }),
    );

    it(
      'should send a request again, with the same ids, when its acknowledgement does not come in time',
      withTarget(async ({ destination }) => {
        const probe = instrument(destination, ['lost-ack', 'ok']);
        const [result] = await deliverAll(probe.destination, undefined, [recordsOf(2)], { ackTimeoutMs: target.ackTimeoutMs ?? 1 });
        expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
        expect(probe.sent[1]!.request).toBe(probe.sent[0]!.request);
      }),
    );

    it(
      'should leave nothing settled when a later stage fails and nothing can hold its failures',
      withTarget(async ({ destination, readDelivered }) => {
        const records = recordsOf(3);
        const log = trackSettlements(records);
        const load: Destination = {
          name: 'Load',
          retryDurationMs: 0,
          build: (batch, { previousLocation }) => ({
            request: { ids: [String(previousLocation)], items: batch.map((_r, i) => i), bytes: 0 },
          }),
          send: () => {
            throw new DeliveryError('Load.Failed', 'the load failed');
          },
        };
        const staged: Destination = {
          ...destination,
          name: destination.name,
          build: destination.build.bind(destination),
          send: destination.send.bind(destination),
          nextStage: load,
        };
        const failure = await deliverAll(staged, undefined, [records]).catch((err: unknown) => err);
        expect(failure).toBeInstanceOf(UndeliverableRecordsError);
        expect((failure as UndeliverableRecordsError).records).toEqual(records);
        // Stage 1 stored the data, but nothing is settled: a replayable source would read it again.
        expect((await readDelivered()).sort()).toEqual([0, 1, 2].map(line).sort());
        expect(log.events).toEqual([]);
      }),
    );

    it(
      'should drain on completion: every buffered batch is stored before the pipeline completes',
      withTarget(async ({ destination, readDelivered }) => {
        const input = new Subject<FirehoseRecord>();
        const done = lastValueFrom(
          input.pipe(bufferBySizeOrTime({ maxRecords: 7, maxMs: 60_000 }), deliverTo(destination, { concurrency: 2 }), toArray()),
        );
        const records = recordsOf(30);
        records.forEach((r) => input.next(r));
        input.complete();
        const results = await done;
        expect(results.reduce((n, r) => n + r.records.length, 0)).toBe(30);
        expect((await readDelivered()).sort()).toEqual(records.map((_r, i) => line(i)).sort());
      }),
    );
  });
}
