import { describe, expect, it } from 'vitest';
import { map, Observable, of, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { deliverTo } from '../../operators/index.js';
import {
  DeliveryError,
  InvalidOptionError,
  UndeliverableRecordsError,
  type DeliveryRequest,
  type DeliveryResult,
  type Destination,
  type FirehoseRecord,
  type SendOutcome,
} from '../../src/index.js';
import { memoryDestination, recordOfSize, trackSettlements } from '../../src/testing/index.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const noJitter = (): number => 0.5;

/** A result reduced to what a marble diagram can show. */
const summary = (r: DeliveryResult<unknown>): string =>
  `${r.status} ${r.records.length}r ${r.bytes}B x${r.attempts} ${r.durationMs}ms failed:${r.failed.length}`;

describe('deliverTo', () => {
  it('should emit one result per batch, in order, after the destination acknowledged it', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const a = [recordOfSize(10, { recordId: 'a' })];
      const b = [recordOfSize(5, { recordId: 'b1' }), recordOfSize(7, { recordId: 'b2' })];
      const dest = memoryDestination<FirehoseRecord>({ latencyMs: 3 });
      const results = cold('-A-----B|', { A: a, B: b }).pipe(deliverTo(dest));
      expectObservable(results.pipe(map(summary))).toBe('----x-----(y|)', {
        x: 'delivered 1r 10B x1 3ms failed:0',
        y: 'delivered 2r 12B x1 3ms failed:0',
      });
    });
  });

  it('should report where the data went, the batch id the destination saw, and the records', () => {
    const scheduler = new TestScheduler(() => undefined);
    const dest = memoryDestination<FirehoseRecord>({ scheduler });
    const batch = [recordOfSize(3)];
    const results: DeliveryResult<FirehoseRecord>[] = [];
    of(batch)
      .pipe(deliverTo(dest, { scheduler }))
      .subscribe((r) => results.push(r));
    scheduler.flush();
    expect(results).toHaveLength(1);
    expect(results[0]!.records).toBe(batch);
    expect(results[0]!.batchId).toBe(dest.attempts[0]!.batchId);
    expect(results[0]!.location).toBe(`memory://Memory/${results[0]!.batchId}`);
    expect(results[0]!.failed).toEqual([]);
  });

  describe('retries', () => {
    it('should retry with exponential backoff (1 s, 2 s, …) in virtual time, with the same batch id', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 10 }).failNext(2);
        const results = cold('A|', { A: [recordOfSize(4)] }).pipe(deliverTo(dest, { random: noJitter }));
        // fail at 10, wait 1000, fail at 1020, wait 2000, ok at 3030.
        expectObservable(results.pipe(map(summary))).toBe('3030ms (x|)', { x: 'delivered 1r 4B x3 3030ms failed:0' });
        flush();
        expect(dest.attempts.map((a) => [a.atMs, a.attempt, a.outcome])).toEqual([
          [10, 1, 'failed'],
          [1020, 2, 'failed'],
          [3030, 3, 'ok'],
        ]);
        expect(new Set(dest.attempts.map((a) => a.batchId)).size).toBe(1);
      });
    });

    it('should jitter each delay by ±15% and cap it at 120 s', () => {
      for (const [random, firstDelay] of [
        [0, 850],
        [0.999999, 1150],
      ] as const) {
        testScheduler().run(({ cold, flush }) => {
          const dest = memoryDestination<FirehoseRecord>().failNext(9);
          cold('A|', { A: [recordOfSize(1)] })
            .pipe(deliverTo(dest, { random: () => random, retryDurationMs: 3_600_000 }))
            .subscribe();
          flush();
          const gaps = dest.attempts.slice(1).map((a, i) => a.atMs - dest.attempts[i]!.atMs);
          expect(gaps[0]).toBe(firstDelay);
          // 1, 2, 4, 8, 16, 32, 64, then capped at 120 s (before jitter).
          expect(gaps.slice(7)).toEqual([Math.round(120_000 * (random === 0 ? 0.85 : 1 + 0.15 * (2 * random - 1))), expect.any(Number)]);
        });
      }
    });

    it('should stop retrying when a retry would start past the retry duration, and write failure records', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 1 }).failWhen(() => new DeliveryError('Memory.Down', 'down'));
        const errors = memoryDestination<FirehoseRecord>();
        const record = { recordId: 'r', data: new TextEncoder().encode('hello'), approximateArrivalTimestamp: 42 };
        const results = cold('A|', { A: [record] }).pipe(
          deliverTo(dest, { errorOutput: errors, retryDurationMs: 3_500, random: noJitter }),
        );
        // attempts end at 1, 1002, 3003; the next retry would start at 3003 + 4000, 7002 ms after the first failure > 3500.
        expectObservable(results.pipe(map(summary))).toBe('3003ms (x|)', { x: 'failed-to-error-output 1r 5B x3 3003ms failed:1' });
        flush();
        expect(errors.failureWrites).toEqual([
          {
            atMs: 3003,
            errorOutputType: 'Memory-failed',
            failures: [
              {
                attemptsMade: 3,
                arrivalTimestamp: 42,
                errorCode: 'Memory.Down',
                errorMessage: 'down',
                attemptEndingTimestamp: 3003,
                rawData: Buffer.from('hello').toString('base64'),
              },
            ],
          },
        ]);
      });
    });

    it('should not retry when the retry duration is 0', () => {
      testScheduler().run(({ cold, flush }) => {
        const dest = memoryDestination<FirehoseRecord>().failNext(1);
        const errors = memoryDestination<FirehoseRecord>();
        cold('A|', { A: [recordOfSize(1)] })
          .pipe(deliverTo(dest, { errorOutput: errors, retryDurationMs: 0 }))
          .subscribe();
        flush();
        expect(dest.attempts).toHaveLength(1);
        expect(errors.failureWrites).toHaveLength(1);
      });
    });

    it('should not retry when the retry duration is 0, even with a backoff that could draw 0 ms', () => {
      testScheduler().run(({ cold, flush }) => {
        const dest = memoryDestination<FirehoseRecord>().failNext(3);
        const errors = memoryDestination<FirehoseRecord>();
        cold('A|', { A: [recordOfSize(1)] })
          .pipe(deliverTo(dest, { errorOutput: errors, retryDurationMs: 0, backoff: { initialMs: 0, jitter: 'full' }, random: () => 0 }))
          .subscribe();
        flush();
        expect(dest.attempts).toHaveLength(1);
        expect(errors.failureWrites).toHaveLength(1);
      });
    });

    it('should never retry in the same instant as the failure: at least 1 ms later', () => {
      testScheduler().run(({ cold, flush }) => {
        const dest = memoryDestination<FirehoseRecord>().failNext(2);
        cold('A|', { A: [recordOfSize(1)] })
          .pipe(deliverTo(dest, { backoff: { initialMs: 0, jitter: 'full' }, random: () => 0 }))
          .subscribe();
        flush();
        expect(dest.attempts.map((a) => a.atMs)).toEqual([0, 1, 2]);
      });
    });

    it('should report the locations of every attempt that stored part of a batch', () => {
      testScheduler().run(({ cold, flush }) => {
        let n = 0;
        const dest = memoryDestination<FirehoseRecord>().failWhen(() =>
          ++n === 1 ? [{ index: 1, errorCode: 'M.X', errorMessage: 'x' }] : undefined,
        );
        let result: DeliveryResult<FirehoseRecord> | undefined;
        cold('A|', { A: [recordOfSize(1), recordOfSize(2)] })
          .pipe(deliverTo(dest, { random: noJitter }))
          .subscribe((r) => (result = r));
        flush();
        const id = result!.batchId;
        expect(result!.location).toBe(`memory://Memory/${id} memory://Memory/${id}`);
      });
    });

    it('should not retry a permanent failure', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const dest = memoryDestination<FirehoseRecord>().failNext(
          1,
          new DeliveryError('Memory.TooLarge', 'too large', { permanent: true }),
        );
        const errors = memoryDestination<FirehoseRecord>();
        const results = cold('-A|', { A: [recordOfSize(2)] }).pipe(deliverTo(dest, { errorOutput: errors }));
        expectObservable(results.pipe(map(summary))).toBe('-x|', { x: 'failed-to-error-output 1r 2B x1 0ms failed:1' });
        flush();
        expect(dest.attempts).toHaveLength(1);
        expect(errors.failureWrites[0]!.failures[0]).toMatchObject({ errorCode: 'Memory.TooLarge', attemptsMade: 1 });
      });
    });

    it('should retry only the failed items of a partial failure', () => {
      testScheduler().run(({ cold, flush }) => {
        const records = ['a', 'b', 'c', 'd'].map((id) => recordOfSize(1, { recordId: id }));
        let calls = 0;
        const dest = memoryDestination<FirehoseRecord>().failWhen(() =>
          ++calls === 1
            ? [
                { index: 1, errorCode: 'Memory.Throttled', errorMessage: 'slow down' },
                { index: 3, errorCode: 'Memory.Throttled', errorMessage: 'slow down' },
              ]
            : undefined,
        );
        let result: DeliveryResult<FirehoseRecord> | undefined;
        cold('A|', { A: records })
          .pipe(deliverTo(dest, { random: noJitter }))
          .subscribe((r) => (result = r));
        flush();
        expect(dest.attempts.map((a) => [a.atMs, a.records.map((r) => r.recordId), a.outcome])).toEqual([
          [0, ['a', 'b', 'c', 'd'], 'partial'],
          [1000, ['b', 'd'], 'ok'],
        ]);
        expect(dest.delivered.map((r) => r.recordId)).toEqual(['a', 'c', 'b', 'd']);
        expect(result).toMatchObject({ status: 'delivered', attempts: 2 });
      });
    });

    it('should send items that failed for good to the error output at once and keep retrying the others', () => {
      testScheduler().run(({ cold, flush }) => {
        const records = ['a', 'b', 'c'].map((id) => recordOfSize(1, { recordId: id }));
        let calls = 0;
        const dest = memoryDestination<FirehoseRecord>().failWhen(() =>
          ++calls === 1
            ? [
                { index: 0, errorCode: 'Memory.Malformed', errorMessage: 'not JSON', retriable: false },
                { index: 2, errorCode: 'Memory.Throttled', errorMessage: 'slow down' },
              ]
            : undefined,
        );
        const errors = memoryDestination<FirehoseRecord>();
        let result: DeliveryResult<FirehoseRecord> | undefined;
        cold('A|', { A: records })
          .pipe(deliverTo(dest, { errorOutput: errors, random: noJitter }))
          .subscribe((r) => (result = r));
        flush();
        expect(dest.delivered.map((r) => r.recordId)).toEqual(['b', 'c']);
        expect(result!.status).toBe('failed-to-error-output');
        expect(result!.failed.map((r) => r.recordId)).toEqual(['a']);
        expect(errors.failureWrites[0]!.failures).toMatchObject([{ errorCode: 'Memory.Malformed', attemptsMade: 1 }]);
      });
    });

    it('should give other errors a namespaced code and retry them', () => {
      testScheduler().run(({ cold, flush }) => {
        const dest = memoryDestination<FirehoseRecord>({ name: 'Hook' }).failNext(1, new TypeError('fetch failed'));
        const errors = memoryDestination<FirehoseRecord>();
        cold('A|', { A: [recordOfSize(1)] })
          .pipe(deliverTo(dest, { errorOutput: errors, retryDurationMs: 0 }))
          .subscribe();
        flush();
        expect(errors.failureWrites[0]!.failures[0]).toMatchObject({ errorCode: 'Hook.TypeError', errorMessage: 'fetch failed' });
      });
    });
  });

  describe('nothing lost', () => {
    it('should error with UndeliverableRecordsError carrying the records when there is no error output', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const record = recordOfSize(1, { recordId: 'lost?' });
        const dest = memoryDestination<FirehoseRecord>().failNext(1, new DeliveryError('Memory.Denied', 'denied', { permanent: true }));
        const results = cold('-A|', { A: [record] }).pipe(deliverTo(dest));
        expectObservable(results).toBe('-#', undefined, new UndeliverableRecordsError([record], 'Memory.Denied', 'denied', 'Memory'));
      });
    });

    it('should error with the records when the error output fails too', () => {
      let error: unknown;
      testScheduler().run(({ cold, flush }) => {
        const record = recordOfSize(1);
        const dest = memoryDestination<FirehoseRecord>().failNext(1, new DeliveryError('Memory.Denied', 'denied', { permanent: true }));
        const errors = memoryDestination<FirehoseRecord>({ name: 'Errors', retryDurationMs: 0 }).failNext(1, new Error('disk full'));
        cold('A|', { A: [record] })
          .pipe(deliverTo(dest, { errorOutput: errors }))
          .subscribe({ error: (e: unknown) => (error = e) });
        flush();
        expect(error).toBeInstanceOf(UndeliverableRecordsError);
        expect((error as UndeliverableRecordsError).records).toEqual([record]);
        expect((error as Error).message).toMatch(/disk full.*Memory.Denied/);
      });
    });

    it('should deliver the batches it received before passing a source error on', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 100 });
        const results = cold('A-#', { A: [recordOfSize(1)] }, new Error('upstream')).pipe(deliverTo(dest));
        expectObservable(results.pipe(map(summary))).toBe('100ms (x#)', { x: 'delivered 1r 1B x1 100ms failed:0' }, new Error('upstream'));
        flush();
        expect(dest.delivered).toHaveLength(1);
      });
    });

    it('should complete only after every batch was delivered or written to the error output', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 100 });
        const results = cold('AB|', { A: [recordOfSize(1)], B: [recordOfSize(2)] }).pipe(deliverTo(dest));
        expectObservable(results.pipe(map(summary))).toBe('100ms x 99ms (y|)', {
          x: 'delivered 1r 1B x1 100ms failed:0',
          y: 'delivered 1r 2B x1 100ms failed:0',
        });
      });
    });
  });

  describe('concurrency', () => {
    it('should keep up to `concurrency` batches in flight and emit results as they finish', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        let n = 0;
        const slowFirst = memoryDestination<FirehoseRecord>({ latencyMs: 10 }).failWhen(() => (++n === 1 ? new Error('flaky') : undefined));
        const results = cold('(ABC)|', { A: [recordOfSize(1)], B: [recordOfSize(2)], C: [recordOfSize(3)] }).pipe(
          deliverTo(slowFirst, { concurrency: 2, random: noJitter }),
        );
        // A fails at 10 and retries at 1010 → ok at 1020; B ok at 10; C starts at 10 → ok at 20.
        expectObservable(results.pipe(map(summary))).toBe('10ms b 9ms c 999ms (a|)', {
          a: 'delivered 1r 1B x2 1020ms failed:0',
          b: 'delivered 1r 2B x1 10ms failed:0',
          c: 'delivered 1r 3B x1 10ms failed:0',
        });
      });
    });

    it('should keep batches in order with the default concurrency of 1', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 10 }).failNext(1);
        const results = cold('(AB)|', { A: [recordOfSize(1)], B: [recordOfSize(2)] }).pipe(deliverTo(dest, { random: noJitter }));
        expectObservable(results.pipe(map(summary))).toBe('1020ms a 9ms (b|)', {
          a: 'delivered 1r 1B x2 1020ms failed:0',
          b: 'delivered 1r 2B x1 10ms failed:0',
        });
      });
    });
  });

  describe('settlement', () => {
    it('should settle records as delivered at the acknowledgement, and as failed once the error output wrote them', () => {
      const scheduler = new TestScheduler(() => undefined);
      const records = [recordOfSize(1, { recordId: 'ok' }), recordOfSize(1, { recordId: 'bad' })];
      const log = trackSettlements(records, () => scheduler.now());
      const dest = memoryDestination<FirehoseRecord>({ latencyMs: 5, scheduler }).failWhen((batch) =>
        batch.length === 2 ? [{ index: 1, errorCode: 'Memory.Bad', errorMessage: 'bad', retriable: false }] : undefined,
      );
      const errors = memoryDestination<FirehoseRecord>({ latencyMs: 7, scheduler });
      of(records)
        .pipe(deliverTo(dest, { errorOutput: errors, scheduler }))
        .subscribe();
      expect(log.events).toEqual([]);
      scheduler.flush();
      // The delivered record is settled with the whole batch's result, once the failed one's failure record is written.
      expect(log.events).toEqual([
        { index: 0, outcome: 'delivered', atMs: 12 },
        { index: 1, outcome: 'failed', atMs: 12 },
      ]);
    });

    it('should leave records unsettled when they could not be delivered anywhere', () => {
      const scheduler = new TestScheduler(() => undefined);
      const records = [recordOfSize(1)];
      const log = trackSettlements(records);
      const dest = memoryDestination<FirehoseRecord>({ scheduler }).failNext(1, new DeliveryError('X.Y', 'no', { permanent: true }));
      of(records)
        .pipe(deliverTo(dest, { scheduler }))
        .subscribe({ error: () => undefined });
      scheduler.flush();
      expect(log.unsettled()).toEqual([0]);
    });
  });

  describe('requests built once', () => {
    it('should build each batch once and resend the same request, with the same ids, on every retry', () => {
      testScheduler().run(({ cold, flush }) => {
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 1 }).failNext(2);
        cold('A|', { A: [recordOfSize(1), recordOfSize(2)] })
          .pipe(deliverTo(dest, { random: noJitter }))
          .subscribe();
        flush();
        expect(dest.builds).toHaveLength(1);
        expect(dest.attempts.map((a) => [a.attempt, a.outcome, a.requestIds])).toEqual([
          [1, 'failed', dest.builds[0]!.ids],
          [2, 'failed', dest.builds[0]!.ids],
          [3, 'ok', dest.builds[0]!.ids],
        ]);
      });
    });

    it('should resend only the failed part, built from the original request, keeping its ids', () => {
      testScheduler().run(({ cold, flush }) => {
        let first = true;
        const dest = memoryDestination<FirehoseRecord>().failWhen((batch) => {
          if (!first) return undefined;
          first = false;
          return [1, 3].map((index) => ({ index, errorCode: 'Memory.Item', errorMessage: 'item failed' }));
        });
        const batch = [0, 1, 2, 3, 4].map((i) => recordOfSize(1, { recordId: String(i) }));
        cold('A|', { A: batch })
          .pipe(deliverTo(dest, { random: noJitter }))
          .subscribe();
        flush();
        expect(dest.builds).toHaveLength(1);
        expect(dest.attempts.map((a) => a.records.map((r) => r.recordId))).toEqual([
          ['0', '1', '2', '3', '4'],
          ['1', '3'],
        ]);
        expect(dest.attempts[1]!.requestIds).toEqual(dest.attempts[0]!.requestIds);
      });
    });
  });

  describe('late acknowledgements', () => {
    it('should free the send slot at acceptance and settle when the acknowledgement arrives', () => {
      const scheduler = testScheduler();
      scheduler.run(({ cold, expectObservable, flush }) => {
        // Sends take 2 ms, acknowledgements 10 ms more. B is sent while A waits for its acknowledgement.
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 2, ackLatencyMs: 10 });
        const a = [recordOfSize(1, { recordId: 'a' })];
        const b = [recordOfSize(2, { recordId: 'b' })];
        const log = trackSettlements([...a, ...b], () => scheduler.now());
        const results = cold('AB|', { A: a, B: b }).pipe(deliverTo(dest));
        expectObservable(results.pipe(map(summary))).toBe('12ms x 1ms (y|)', {
          x: 'delivered 1r 1B x1 12ms failed:0',
          y: 'delivered 1r 2B x1 12ms failed:0',
        });
        flush();
        expect(dest.attempts.map((x) => [x.atMs, x.records[0]!.recordId])).toEqual([
          [2, 'a'],
          [4, 'b'],
        ]);
        expect(log.events.map((e) => [e.index, e.atMs])).toEqual([
          [0, 12],
          [1, 14],
        ]);
      });
    });

    it('should hold the send slot while maxPendingAcks acknowledgements are pending', () => {
      testScheduler().run(({ cold, flush }) => {
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 2, ackLatencyMs: 10 });
        cold('ABC|', { A: [recordOfSize(1)], B: [recordOfSize(1)], C: [recordOfSize(1)] })
          .pipe(deliverTo(dest, { maxPendingAcks: 1 }))
          .subscribe();
        flush();
        // A: sent 0–2, acknowledged at 12. B: sent 2–4, waits for A's acknowledgement slot (12), acknowledged at 22.
        // C: waits for the send slot B holds until 12, sent 12–14, waits for B's slot (22), acknowledged at 32.
        expect(dest.attempts.map((x) => x.atMs)).toEqual([2, 4, 14]);
        expect(dest.delivered).toHaveLength(3);
      });
    });

    it('should send the same request again when its acknowledgement does not come within ackTimeoutMs', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const dest = memoryDestination<FirehoseRecord>({ latencyMs: 2, ackLatencyMs: 10, name: 'Splunk' }).loseAckNext(1);
        const results = cold('A|', { A: [recordOfSize(3)] }).pipe(deliverTo(dest, { ackTimeoutMs: 100, random: noJitter }));
        // Accepted at 2, no acknowledgement by 102 (Splunk.AckTimeout), resent after 1 s at 1102, accepted at 1104, acknowledged at 1114.
        expectObservable(results.pipe(map(summary))).toBe('1114ms (x|)', { x: 'delivered 1r 3B x2 1114ms failed:0' });
        flush();
        expect(dest.builds).toHaveLength(1);
        expect(dest.attempts.map((x) => [x.atMs, x.attempt, x.requestIds])).toEqual([
          [2, 1, dest.builds[0]!.ids],
          [1104, 2, dest.builds[0]!.ids],
        ]);
      });
    });

    it('should write the batch to the error output as <name>.AckTimeout when acknowledgements never come', () => {
      testScheduler().run(({ cold, flush }) => {
        const dest = memoryDestination<FirehoseRecord>({ ackLatencyMs: 10, name: 'Splunk' }).loseAckNext(99);
        const errors = memoryDestination<FirehoseRecord>();
        const batch = [recordOfSize(1)];
        const log = trackSettlements(batch);
        cold('A|', { A: batch })
          .pipe(deliverTo(dest, { ackTimeoutMs: 100, retryDurationMs: 0, errorOutput: errors }))
          .subscribe();
        flush();
        expect(errors.failureWrites[0]!.failures).toMatchObject([{ errorCode: 'Splunk.AckTimeout', attemptsMade: 1 }]);
        expect(log.events.map((e) => e.outcome)).toEqual(['failed']);
      });
    });
  });

  describe('stages', () => {
    const stagesOf = (latencyMs: number) => {
      const load = memoryDestination<FirehoseRecord>({ name: 'Load', latencyMs: 5, retryDurationMs: 0 });
      const stage = memoryDestination<FirehoseRecord>({ name: 'Stage', latencyMs });
      return { load, stage, chain: { ...stage, build: stage.build, send: stage.send, nextStage: load } };
    };

    it('should run the next stage with what the previous one delivered, and settle after the last', () => {
      const scheduler = testScheduler();
      scheduler.run(({ cold, expectObservable, flush }) => {
        const { load, stage, chain } = stagesOf(3);
        const batch = [recordOfSize(1), recordOfSize(2)];
        const log = trackSettlements(batch, () => scheduler.now());
        expectObservable(cold('A|', { A: batch }).pipe(deliverTo(chain), map(summary))).toBe('8ms (x|)', {
          x: 'delivered 2r 3B x2 8ms failed:0',
        });
        flush();
        expect(stage.delivered).toEqual(batch);
        expect(load.delivered).toEqual(batch);
        expect(log.events.map((e) => e.atMs)).toEqual([8, 8]);
      });
    });

    it('should settle nothing as delivered when the last stage fails: its failures go to its error output', () => {
      testScheduler().run(({ cold, flush }) => {
        const { load, stage, chain } = stagesOf(0);
        load.failNext(1, new DeliveryError('Load.Failed', 'COPY failed', { kind: 'permanent' }));
        const errors = memoryDestination<FirehoseRecord>();
        const batch = [recordOfSize(1)];
        const log = trackSettlements(batch);
        const results: DeliveryResult<FirehoseRecord>[] = [];
        cold('A|', { A: batch })
          .pipe(deliverTo({ ...chain, nextStage: { ...load, build: load.build, send: load.send, errorOutput: errors } }))
          .subscribe((r) => results.push(r));
        flush();
        expect(stage.delivered).toEqual(batch);
        expect(errors.failureWrites.map((w) => [w.errorOutputType, w.failures[0]!.errorCode])).toEqual([['Load-failed', 'Load.Failed']]);
        expect(results).toMatchObject([{ status: 'failed-to-error-output', errorCode: 'Load.Failed' }]);
        expect(log.events.map((e) => e.outcome)).toEqual(['failed']);
      });
    });
  });

  it('should report DeliveryTo<name> metrics per batch', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
    const metrics: Array<[string, number, string]> = [];
    const dest = memoryDestination<FirehoseRecord>({ name: 'S3', latencyMs: 2000, scheduler });
    const records = [recordOfSize(10, { arrivalMs: 0 }), recordOfSize(20, { arrivalMs: 500 })];
    of(records)
      .pipe(deliverTo(dest, { scheduler, metrics: (name, value, unit) => metrics.push([name, value, unit]) }))
      .subscribe();
    scheduler.flush();
    expect(metrics).toEqual([
      ['DeliveryToS3.Records', 2, 'Count'],
      ['DeliveryToS3.Bytes', 30, 'Bytes'],
      ['DeliveryToS3.Success', 1, 'Count'],
      ['DeliveryToS3.DataFreshness', 2, 'Seconds'],
    ]);
  });

  it('should tell onAttemptFailed of each failed send, when it failed, but not of partial outcomes or cancelled sends', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
    const told: Array<[number, string, number, string]> = [];
    let sends = 0;
    const dest: Destination = {
      name: 'Flaky',
      build: (batch) => ({ request: { ids: ['f'], items: batch.map((_r, i) => i), bytes: 0 } }),
      send: (request): Observable<SendOutcome> => {
        sends++;
        if (sends === 1) throw new DeliveryError('Flaky.Down', 'down');
        if (sends === 2) return new Observable<SendOutcome>((s) => s.error(new Error('reset')));
        if (sends === 3)
          return of({
            status: 'partial',
            failed: [{ index: request.items[0]!, errorCode: 'Flaky.Item', errorMessage: 'item' }],
            retry: { ids: ['f-retry'], items: [request.items[0]!], bytes: 0 },
          });
        return of({ status: 'accepted' });
      },
    };
    let result: DeliveryResult<string> | undefined;
    of(['a', 'b'])
      .pipe(
        deliverTo(dest, {
          scheduler,
          random: noJitter,
          onAttemptFailed: ({ destination, attempt, error }) =>
            told.push([scheduler.now(), destination, attempt, (error as Error).message]),
        }),
      )
      .subscribe((r) => (result = r));
    scheduler.flush();
    // Firehose's backoff: 1 s, then 2 s; the partial outcome at 3 s is retried (its failed item) without being told.
    expect(told).toEqual([
      [0, 'Flaky', 1, 'down'],
      [1_000, 'Flaky', 2, 'reset'],
    ]);
    expect(sends).toBe(4);
    expect(result).toMatchObject({ status: 'delivered', attempts: 4 });

    // A send cancelled by unsubscribing is not a failure.
    const cancelled: unknown[] = [];
    const pending = new Subject<SendOutcome>();
    const slow: Destination = { ...dest, send: () => pending };
    of(['x'])
      .pipe(deliverTo(slow, { onAttemptFailed: (failure) => cancelled.push(failure) }))
      .subscribe()
      .unsubscribe();
    expect(cancelled).toEqual([]);
    expect(() => deliverTo(dest, { onAttemptFailed: 'yes' as never })).toThrow(InvalidOptionError);
    expect(() => deliverTo(dest, { onAttemptFailed: 'yes' as never })).toThrow(/onAttemptFailed/);
  });

  it('should abort the request in flight when unsubscribed, and cancel retries', () => {
    const signals: AbortSignal[] = [];
    const pending = new Subject<SendOutcome>();
    const dest: Destination = {
      name: 'Slow',
      build: (batch) => ({ request: { ids: ['slow'], items: batch.map((_r, i) => i), bytes: 0 } }),
      send: (_request, attempt) => {
        signals.push(attempt.signal);
        return pending;
      },
    };
    const subscription = of(['x']).pipe(deliverTo(dest)).subscribe();
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    subscription.unsubscribe();
    expect(signals[0]!.aborted).toBe(true);
  });

  it('should accept destinations that return promises or throw synchronously', async () => {
    let calls = 0;
    const dest: Destination<DeliveryRequest & { text: string }> = {
      name: 'Async',
      build: async (batch) => ({ request: { ids: ['a'], items: batch.map((_r, i) => i), bytes: 2, text: batch.join('') } }),
      send: (request) => {
        if (++calls === 1) throw new Error('sync failure');
        return Promise.resolve({ status: 'accepted', location: `got ${request.text}` });
      },
    };
    const result = await new Promise<DeliveryResult<string>>((resolve, reject) =>
      of(['a', 'b'])
        .pipe(deliverTo(dest, { backoff: { initialMs: 1 } }))
        .subscribe({ next: resolve, error: reject }),
    );
    expect(result).toMatchObject({ status: 'delivered', attempts: 2, location: 'got ab', bytes: 2 });
  });

  it('should work on strings and bytes as well as records', () => {
    const scheduler = new TestScheduler(() => undefined);
    const dest = memoryDestination<string | Uint8Array>({ scheduler });
    const results: DeliveryResult<string | Uint8Array>[] = [];
    new Observable<Array<string | Uint8Array>>((s) => {
      s.next(['é', new Uint8Array(3)]);
      s.complete();
    })
      .pipe(deliverTo(dest, { scheduler }))
      .subscribe((r) => results.push(r));
    scheduler.flush();
    expect(results[0]!.bytes).toBe(5);
  });

  describe('bad options', () => {
    const dest = memoryDestination<FirehoseRecord>();
    it.each([
      ['concurrency', { concurrency: 0 }, 'deliverTo: concurrency must be an integer ≥ 1 and ≤ 1024; got 0'],
      ['retryDurationMs', { retryDurationMs: -1 }, 'deliverTo: retryDurationMs must be a finite number ≥ 0 and ≤ 86400000 (ms); got -1'],
      ['backoff.multiplier', { backoff: { multiplier: 0.5 } }, 'deliverTo: backoff.multiplier must be a finite number ≥ 1; got 0.5'],
      [
        'errorOutput',
        { errorOutput: {} },
        'deliverTo: errorOutput must be an ErrorOutput (an object with name, buildFailures and send), such as a destination; got a value of type Object',
      ],
    ])('should throw InvalidOptionError for %s', (_name, options, message) => {
      expect(() => deliverTo(dest, options as never)).toThrow(InvalidOptionError);
      expect(() => deliverTo(dest, options as never)).toThrow(message);
    });

    it('should refuse something that is not a destination', () => {
      expect(() => deliverTo({ name: 'x' } as never)).toThrow(
        'deliverTo: destination must be a Destination (an object with name, build and send); got a value of type Object',
      );
    });
  });
});
