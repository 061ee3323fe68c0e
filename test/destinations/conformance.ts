import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { bufferBySizeOrTime, deliverTo } from '../../operators/index.js';
import {
  DeliveryError,
  type DeliveryAck,
  type DeliveryAttempt,
  type DeliveryResult,
  type LegacyDestination,
  type ErrorOutput,
  type FailureRecord,
  type FirehoseRecord,
  type ItemFailure,
} from '../../src/index.js';
import { trackSettlements } from '../../src/testing/index.js';

/** What the suite needs of a destination under test: a fresh instance, and a way to read back what it stored. */
export interface ConformanceTarget {
  /** A destination over fresh, empty storage, and an error output (often the destination itself). */
  readonly create: () => Promise<{
    destination: LegacyDestination<FirehoseRecord>;
    errorOutput: ErrorOutput;
    /** Every line of every delivered object (decompressed), in any order. */
    readDelivered: () => Promise<string[]>;
    /** Every failure record written, in any order. */
    readFailures: () => Promise<FailureRecord[]>;
    close: () => Promise<void>;
  }>;
  /**
   * `true` for a destination that cannot tell a resend from new data (Splunk HEC has no request ids): a
   * batch whose acknowledgement was lost is then checked to be there twice, never lost.
   */
  readonly duplicatesAfterLostAck?: boolean;
}

type Fault = 'ok' | 'fail-before' | 'fail-after' | 'permanent' | { partial: number[] };

/**
 * Wraps a real destination so that each attempt follows `plan`: `fail-before` fails without storing,
 * `fail-after` stores and then fails (a lost acknowledgement), `permanent` fails for good, `partial` stores
 * all but the named items and reports those as failed.
 */
function withFaults(real: LegacyDestination<FirehoseRecord>, plan: Fault[]): LegacyDestination<FirehoseRecord> & { attempts: number[][] } {
  const attempts: number[][] = [];
  return {
    name: real.name,
    attempts,
    async deliver(batch: readonly FirehoseRecord[], attempt: DeliveryAttempt): Promise<DeliveryAck | void> {
      attempts.push(batch.map((r) => Number(r.recordId)));
      const fault = plan.shift() ?? 'ok';
      if (fault === 'fail-before') throw new DeliveryError(`${real.name}.Injected`, 'injected before storing');
      if (fault === 'permanent') throw new DeliveryError(`${real.name}.InjectedPermanent`, 'injected, permanent', { permanent: true });
      if (typeof fault === 'object') {
        const keep = batch.filter((_r, i) => !fault.partial.includes(i));
        const ack = keep.length > 0 ? await lastValueFrom(from(real.deliver(keep, attempt)), { defaultValue: undefined }) : undefined;
        const failed: ItemFailure[] = fault.partial.map((index) => ({ index, errorCode: `${real.name}.InjectedItem`, errorMessage: 'injected item failure' }));
        return { ...(ack as DeliveryAck | undefined), failed };
      }
      const ack = await lastValueFrom(from(real.deliver(batch, attempt)), { defaultValue: undefined });
      if (fault === 'fail-after') throw new DeliveryError(`${real.name}.InjectedAfter`, 'stored, but the acknowledgement was lost');
      return ack;
    },
  };
}

const line = (i: number): string => `{"n":${i},"pad":"${'x'.repeat(i % 7)}"}`;
const recordsOf = (n: number, base = 0): FirehoseRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    recordId: String(i),
    data: new TextEncoder().encode(line(base + i) + '\n'),
    approximateArrivalTimestamp: Date.UTC(2026, 10, 26, 9, 30) + i,
  }));
const fast = { backoff: { initialMs: 1, maxMs: 5 }, retryDurationMs: 10_000 };

async function deliverAll(destination: LegacyDestination<FirehoseRecord>, errorOutput: ErrorOutput | undefined, batches: FirehoseRecord[][]): Promise<DeliveryResult<FirehoseRecord>[]> {
  return lastValueFrom(from(batches).pipe(deliverTo(destination, { ...fast, errorOutput }), toArray()));
}

/** The behaviours every destination must have, checked against the real thing. */
export function describeDestinationConformance(name: string, target: ConformanceTarget): void {
  describe(`${name}: destination conformance`, () => {
    const withTarget = (test: (t: Awaited<ReturnType<ConformanceTarget['create']>>) => Promise<void>) => async () => {
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
        expect(results.map((r) => [r.status, r.records.length, r.attempts])).toEqual([
          ['delivered', 10, 1],
          ['delivered', 15, 1],
        ]);
        expect(results.every((r) => typeof r.location === 'string' && r.location !== '')).toBe(true);
        expect((await readDelivered()).sort()).toEqual(records.map((_r, i) => line(i)).sort());
        expect(log.events.map((e) => e.outcome)).toEqual(Array(25).fill('delivered'));
      }),
    );

    it(
      'should retry a transient failure',
      withTarget(async ({ destination, readDelivered }) => {
        const faulty = withFaults(destination, ['fail-before', 'fail-before']);
        const [result] = await deliverAll(faulty, undefined, [recordsOf(3)]);
        expect(result).toMatchObject({ status: 'delivered', attempts: 3 });
        expect((await readDelivered()).sort()).toEqual([line(0), line(1), line(2)].sort());
      }),
    );

    it(
      target.duplicatesAfterLostAck === true
        ? 'should resend a batch whose acknowledgement was lost: there twice, never lost'
        : 'should not duplicate a batch whose acknowledgement was lost and that was retried',
      withTarget(async ({ destination, readDelivered }) => {
        const faulty = withFaults(destination, ['fail-after']);
        const [result] = await deliverAll(faulty, undefined, [recordsOf(4)]);
        expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
        const once = [0, 1, 2, 3].map(line);
        expect((await readDelivered()).sort()).toEqual((target.duplicatesAfterLostAck === true ? [...once, ...once] : once).sort());
      }),
    );

    it(
      'should not retry a permanent failure, and write Firehose failure records to the error output',
      withTarget(async ({ destination, errorOutput, readDelivered, readFailures }) => {
        const records = recordsOf(2);
        const log = trackSettlements(records);
        const faulty = withFaults(destination, ['permanent']);
        const [result] = await deliverAll(faulty, errorOutput, [records]);
        expect(faulty.attempts).toHaveLength(1);
        expect(result).toMatchObject({ status: 'failed-to-error-output', errorCode: `${destination.name}.InjectedPermanent` });
        expect(typeof result!.errorLocation).toBe('string');
        expect(await readDelivered()).toEqual([]);
        const failures = (await readFailures()).sort((a, b) => a.arrivalTimestamp - b.arrivalTimestamp);
        expect(failures).toHaveLength(2);
        failures.forEach((f, i) => {
          expect(Object.keys(f)).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData']);
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

    it(
      'should retry only the items that failed',
      withTarget(async ({ destination, readDelivered }) => {
        const faulty = withFaults(destination, [{ partial: [1, 3] }]);
        const [result] = await deliverAll(faulty, undefined, [recordsOf(5)]);
        expect(faulty.attempts).toEqual([
          [0, 1, 2, 3, 4],
          [1, 3],
        ]);
        expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
        expect((await readDelivered()).sort()).toEqual([0, 1, 2, 3, 4].map(line).sort());
      }),
    );

    it(
      'should drain on completion: every buffered batch is stored before the pipeline completes',
      withTarget(async ({ destination, readDelivered }) => {
        const input = new Subject<FirehoseRecord>();
        const done = lastValueFrom(input.pipe(bufferBySizeOrTime({ maxRecords: 7, maxMs: 60_000 }), deliverTo(destination, { concurrency: 2 }), toArray()));
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
