import { describe, expect, it } from 'vitest';
import { asyncScheduler, BehaviorSubject, map, of, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FirehoseTransformationHandler } from 'aws-lambda';
import { transformWithLambda } from '../../operators/index.js';
import {
  InvalidOptionError,
  UndeliverableRecordsError,
  settlementOf,
  type FirehoseRecord,
  type FirehoseTransformationEvent,
  type FirehoseTransformationResult,
  type LocalTransformation,
} from '../../src/index.js';
import { memoryDestination, trackSettlements } from '../../src/testing/index.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const enc = new TextEncoder();
const dec = new TextDecoder();
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString();
const rec = (id: string, text: string, arrivalMs = 0, extra: Partial<FirehoseRecord> = {}): FirehoseRecord => ({
  recordId: id,
  data: enc.encode(text),
  approximateArrivalTimestamp: arrivalMs,
  ...extra,
});
const texts = (records: readonly FirehoseRecord[]): string[] => records.map((r) => dec.decode(r.data));

/** Calls back synchronously: a callback-style handler that answers later would work the same way. */
const setTimeoutLike = (f: () => void): void => f();

/** A blueprint-like handler: uppercases, drops "drop", fails "fail". Synchronous, so it runs in virtual time. */
const upper = (event: FirehoseTransformationEvent): FirehoseTransformationResult => ({
  records: event.records.map((r) => {
    const text = unb64(r.data);
    if (text === 'drop') return { recordId: r.recordId, result: 'Dropped', data: r.data };
    if (text === 'fail') return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
    return { recordId: r.recordId, result: 'Ok', data: b64(text.toUpperCase()), metadata: { partitionKeys: { first: text[0]! } } };
  }),
});

describe('transformWithLambda', () => {
  describe('buffering (the processor buffer)', () => {
    it('should invoke once per buffer: at maxMs after its first record, or when maxBytes is reached', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const events: number[] = [];
        const counting: LocalTransformation = (event) => {
          events.push(event.records.length);
          return upper(event);
        };
        const v = { a: rec('a', 'a'), b: rec('b', 'b'), c: rec('c', 'c') };
        const source = cold('a 10s b 60s c|', v);
        // a (0) and b (10.001 s) share a buffer flushed at 60 s; c (70.002 s) flushes on completion (70.003 s).
        const result = source.pipe(
          transformWithLambda(counting),
          map((r) => dec.decode(r.data)),
        );
        expectObservable(result).toBe('60s (xy) 9999ms (z|)', { x: 'A', y: 'B', z: 'C' });
        flush();
        expect(events).toEqual([2, 1]);
      });
    });

    it("should keep Firehose's defaults and ranges: 1 MiB / 60 s, 0.2–3 MiB, 0–900 s", () => {
      expect(() => transformWithLambda(upper, { maxBytes: 100_000 })).toThrow(
        'transformWithLambda: maxBytes must be a finite number ≥ 209715 and ≤ 3145728 (bytes); got 100000',
      );
      expect(() => transformWithLambda(upper, { maxMs: 901_000 })).toThrow(
        'transformWithLambda: maxMs must be a finite number ≥ 0 and ≤ 900000 (ms); got 901000',
      );
      expect(() => transformWithLambda(upper, { numberOfRetries: -1 })).toThrow(InvalidOptionError);
      expect(() => transformWithLambda(upper, { backoff: { multiplier: 0 } })).toThrow(
        'transformWithLambda: backoff.multiplier must be a finite number ≥ 1; got 0',
      );
      expect(() => transformWithLambda({ functionName: 'x' } as never)).toThrow('transformWithLambda: handler must be');
    });

    it('should split a buffer into several events so none exceeds the 6 MB payload limit', () => {
      const sizes: number[] = [];
      const scheduler = new TestScheduler(() => undefined);
      const big = (i: number): FirehoseRecord => ({
        recordId: `r${i}`,
        data: new Uint8Array(1_000 * 1024).fill(65),
        approximateArrivalTimestamp: 0,
      });
      const out: FirehoseRecord[] = [];
      of(big(0), big(1), big(2))
        .pipe(
          transformWithLambda(
            (event) => {
              sizes.push(JSON.stringify(event).length);
              return { records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok' as const, data: r.data })) };
            },
            { maxBytes: 3 * 1_048_576, scheduler },
          ),
        )
        .subscribe((r) => out.push(r));
      scheduler.flush();
      expect(out).toHaveLength(3);
      // Three records of 1,000 KiB: 4 MiB of base64 fits one event; all under 6 MB.
      expect(sizes.every((s) => s < 6_291_456)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(3 * 1_000 * 1024 * 1.33);
    });
  });

  describe('the event', () => {
    it('should build the event exactly as Firehose does', () => {
      let seen: FirehoseTransformationEvent | undefined;
      const scheduler = new TestScheduler(() => undefined);
      const kinesis = {
        shardId: 'shardId-000000000001',
        partitionKey: 'pk',
        sequenceNumber: '4954',
        subsequenceNumber: 2,
        approximateArrivalTimestamp: 1000,
      };
      of(rec('id-1', 'hello', 1507217624302, { kinesisRecordMetadata: kinesis }))
        .pipe(
          transformWithLambda(
            (event) => {
              seen = event;
              return { records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok' as const, data: r.data })) };
            },
            { scheduler, streamName: 'clicks', region: 'eu-west-1', sourceKinesisStreamArn: 'arn:aws:kinesis:eu-west-1:123:stream/in' },
          ),
        )
        .subscribe();
      scheduler.flush();
      expect(seen).toEqual({
        invocationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        deliveryStreamArn: 'arn:aws:firehose:eu-west-1:000000000000:deliverystream/clicks',
        sourceKinesisStreamArn: 'arn:aws:kinesis:eu-west-1:123:stream/in',
        region: 'eu-west-1',
        records: [
          {
            recordId: 'id-1',
            approximateArrivalTimestamp: 1507217624302,
            data: b64('hello'),
            kinesisRecordMetadata: {
              shardId: 'shardId-000000000001',
              partitionKey: 'pk',
              sequenceNumber: '4954',
              subsequenceNumber: 2,
              approximateArrivalTimestamp: 1000,
            },
          },
        ],
      });
    });

    it('should accept a handler typed with the aws-lambda typings, unchanged', () => {
      const awsHandler: FirehoseTransformationHandler = async (event) => ({
        records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })),
      });
      // Accepted as it is, no cast (those typings call subsequenceNumber a string; events carry a number).
      expect(() => transformWithLambda(awsHandler)).not.toThrow();
      // And our types are the same shapes: an aws-lambda result is one of ours.
      const result: FirehoseTransformationResult = { records: [{ recordId: 'x', result: 'Dropped' }] };
      expect(result.records).toHaveLength(1);
    });
  });

  describe('outcomes', () => {
    it('should emit Ok records with the new data, same id, arrival time, Kinesis metadata and partition keys; settle Dropped', () => {
      const scheduler = new TestScheduler(() => undefined);
      const kinesis = { shardId: 's', partitionKey: 'p', sequenceNumber: '1', subsequenceNumber: 0, approximateArrivalTimestamp: 5 };
      const input = [rec('1', 'hello', 7, { kinesisRecordMetadata: kinesis }), rec('2', 'drop', 8), rec('3', 'world', 9)];
      const log = trackSettlements(input, () => scheduler.now());
      const out: FirehoseRecord[] = [];
      of(...input)
        .pipe(transformWithLambda(upper, { scheduler }))
        .subscribe((r) => out.push(r));
      scheduler.flush();
      expect(out).toEqual([
        {
          recordId: '1',
          data: enc.encode('HELLO'),
          approximateArrivalTimestamp: 7,
          kinesisRecordMetadata: kinesis,
          partitionKeys: { first: 'h' },
        },
        { recordId: '3', data: enc.encode('WORLD'), approximateArrivalTimestamp: 9, partitionKeys: { first: 'w' } },
      ]);
      expect(log.events).toEqual([{ index: 1, outcome: 'dropped', atMs: 0 }]);
      // The transformed records carry their originals' settlements.
      settlementOf(out[0])!.settle('delivered');
      settlementOf(out[1])!.settle('delivered');
      expect(log.unsettled()).toEqual([]);
    });

    it('should write ProcessingFailed records as processing-failed records with lambdaArn, then settle them', () => {
      const scheduler = new TestScheduler(() => undefined);
      const errors = memoryDestination<FirehoseRecord>({ scheduler, latencyMs: 5 });
      const input = [rec('1', 'ok', 1), rec('2', 'fail', 2)];
      const log = trackSettlements(input, () => scheduler.now());
      const out: FirehoseRecord[] = [];
      of(...input)
        .pipe(transformWithLambda(upper, { scheduler, errorOutput: errors, region: 'eu-west-1' }))
        .subscribe((r) => out.push(r));
      scheduler.flush();
      expect(texts(out)).toEqual(['OK']);
      expect(errors.failureWrites).toEqual([
        {
          atMs: 5,
          errorOutputType: 'processing-failed',
          failures: [
            {
              attemptsMade: 1,
              arrivalTimestamp: 2,
              errorCode: 'Lambda.ProcessingFailedStatus',
              errorMessage: 'the transformation returned ProcessingFailed for this record',
              attemptEndingTimestamp: 0,
              rawData: b64('fail'),
              lambdaArn: 'arn:aws:lambda:eu-west-1:000000000000:function:upper',
            },
          ],
        },
      ]);
      expect(log.events).toEqual([{ index: 1, outcome: 'failed', atMs: 5 }]);
    });

    it('should error with the records when processing fails and there is no error output', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const v = { a: rec('1', 'fail') };
        expectObservable(cold('a|', v).pipe(transformWithLambda(upper))).toBe(
          '-#',
          undefined,
          new UndeliverableRecordsError(
            [v.a],
            'Lambda.ProcessingFailedStatus',
            'the transformation returned ProcessingFailed for this record',
            'Lambda',
          ),
        );
      });
    });
  });

  describe('retries', () => {
    it('should retry a failed invocation numberOfRetries times with backoff, then fail every record of the event', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const calls: number[] = [];
        const flaky: LocalTransformation = () => {
          calls.push(asyncScheduler.now()); // virtual time inside run()
          throw new Error('boom');
        };
        const errors = memoryDestination<FirehoseRecord>();
        const result = cold('a|', { a: rec('1', 'x') }).pipe(
          transformWithLambda(flaky, { numberOfRetries: 2, random: () => 0.5, errorOutput: errors }),
        );
        // Invoked at 1 (the buffer flushes at completion), retried 1 s and 2 s later; then processing-failed.
        expectObservable(result).toBe('3001ms |');
        flush();
        expect(calls).toEqual([1, 1001, 3001]);
        expect(errors.failureWrites[0]!.failures).toMatchObject([
          { attemptsMade: 3, errorCode: 'Lambda.FunctionError', errorMessage: 'the transformation threw: boom', rawData: b64('x') },
        ]);
      });
    });

    it('should succeed on a retry and emit the transformed records', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        let n = 0;
        const flakyOnce: LocalTransformation = (event) => {
          if (++n === 1) throw new Error('cold start');
          return upper(event);
        };
        const result = cold('a|', { a: rec('1', 'x') }).pipe(
          transformWithLambda(flakyOnce, { random: () => 0.5 }),
          map((r) => dec.decode(r.data)),
        );
        expectObservable(result).toBe('1001ms (y|)', { y: 'X' });
      });
    });

    it('should time an invocation out after invocationTimeoutMs (Lambda.FunctionTimedOut)', () => {
      testScheduler().run(({ cold, expectObservable, flush }) => {
        const errors = memoryDestination<FirehoseRecord>();
        const never: LocalTransformation = () => timer(10_000).pipe(map(() => ({ records: [] })));
        const result = cold('a|', { a: rec('1', 'x') }).pipe(
          transformWithLambda(never, { invocationTimeoutMs: 100, numberOfRetries: 0, errorOutput: errors }),
        );
        expectObservable(result).toBe('101ms |');
        flush();
        expect(errors.failureWrites[0]!.failures[0]).toMatchObject({ errorCode: 'Lambda.FunctionTimedOut', attemptsMade: 1 });
      });
    });
  });

  describe('the contract: every broken response ends as processing-failed records with its code, nothing lost', () => {
    const cases: Array<[string, (e: FirehoseTransformationEvent) => unknown, string]> = [
      [
        'a missing record id',
        (e) => ({ records: e.records.slice(1).map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) }),
        'Lambda.MissingRecordId',
      ],
      [
        'an unknown record id',
        (e) => ({ records: e.records.map((r, i) => ({ recordId: i === 0 ? 'nope' : r.recordId, result: 'Ok', data: r.data })) }),
        'Lambda.MissingRecordId',
      ],
      [
        'a duplicated record id',
        (e) => ({ records: [...e.records, e.records[0]!].map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) }),
        'Lambda.DuplicatedRecordId',
      ],
      ['no records array', () => ({ items: [] }), 'Lambda.JsonProcessingException'],
      ['a response that is not JSON', () => 'this is not json', 'Lambda.JsonProcessingException'],
      [
        'an unknown result',
        (e) => ({ records: e.records.map((r) => ({ recordId: r.recordId, result: 'Maybe', data: r.data })) }),
        'Lambda.JsonProcessingException',
      ],
      [
        'Ok without data',
        (e) => ({ records: e.records.map((r) => ({ recordId: r.recordId, result: 'Ok' })) }),
        'Lambda.JsonProcessingException',
      ],
      [
        'Ok with data that is not base64',
        (e) => ({ records: e.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: '!!!' })) }),
        'Lambda.JsonProcessingException',
      ],
      [
        'partition keys that are not strings',
        (e) => ({
          records: e.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data, metadata: { partitionKeys: { k: 1 } } })),
        }),
        'Lambda.JsonProcessingException',
      ],
    ];
    it.each(cases)('should treat %s as a failed invocation', (_label, respond, code) => {
      const scheduler = new TestScheduler(() => undefined);
      scheduler.maxFrames = Number.POSITIVE_INFINITY;
      const errors = memoryDestination<FirehoseRecord>({ scheduler });
      const input = [rec('a', 'one', 1), rec('b', 'two', 2)];
      const log = trackSettlements(input);
      const out: FirehoseRecord[] = [];
      let invocations = 0;
      of(...input)
        .pipe(
          transformWithLambda(
            (event) => {
              invocations++;
              return respond(event) as FirehoseTransformationResult;
            },
            { scheduler, errorOutput: errors, random: () => 0.5 },
          ),
        )
        .subscribe((r) => out.push(r));
      scheduler.flush();
      expect(invocations).toBe(4); // the first attempt and three retries
      expect(out).toEqual([]);
      const failures = errors.failureWrites.flatMap((w) => w.failures);
      expect(failures.map((f) => [f.errorCode, f.attemptsMade, unb64(f.rawData)])).toEqual([
        [code, 4, 'one'],
        [code, 4, 'two'],
      ]);
      expect(log.events.map((e) => e.outcome)).toEqual(['failed', 'failed']);
    });
  });

  describe('ends', () => {
    it('should transform what it received before passing a source error on', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const slow: LocalTransformation = (event) => timer(10).pipe(map(() => upper(event)));
        const result = cold('-a-#', { a: rec('1', 'x') }, new Error('upstream')).pipe(
          transformWithLambda(slow),
          map((r) => dec.decode(r.data)),
        );
        expectObservable(result).toBe('13ms (x#)', { x: 'X' }, new Error('upstream'));
      });
    });

    it('should take the first answer of an Observable that never completes, within the timeout', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const answersOnce: LocalTransformation = (event) => new BehaviorSubject(upper(event));
        const result = cold('a|', { a: rec('1', 'y') }).pipe(
          transformWithLambda(answersOnce, { invocationTimeoutMs: 1000 }),
          map((r) => dec.decode(r.data)),
        );
        expectObservable(result).toBe('-(x|)', { x: 'Y' });
      });
    });
  });

  describe('concurrency and order', () => {
    it('should keep the input order of events even when a later invocation finishes first', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        // The first event takes 50 ms, the second 10 ms; with concurrency 2 both run at once.
        const latency: LocalTransformation = (event): Observable<FirehoseTransformationResult> =>
          timer(unb64(event.records[0]!.data) === 'slow' ? 50 : 10).pipe(map(() => upper(event)));
        const source = cold('ab|', { a: rec('1', 'slow'), b: rec('2', 'fast') });
        const result = source.pipe(
          transformWithLambda(latency, { maxMs: 0, concurrency: 2 }),
          map((r) => dec.decode(r.data)),
        );
        // b's event finishes at 11 but waits for a's at 50.
        expectObservable(result).toBe('50ms (xy|)', { x: 'SLOW', y: 'FAST' });
      });
    });

    it('should run one invocation at a time by default', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const latency: LocalTransformation = (event): Observable<FirehoseTransformationResult> => timer(10).pipe(map(() => upper(event)));
        const source = cold('ab|', { a: rec('1', 'a'), b: rec('2', 'b') });
        const result = source.pipe(
          transformWithLambda(latency, { maxMs: 0 }),
          map((r) => dec.decode(r.data)),
        );
        expectObservable(result).toBe('10ms x 9ms (y|)', { x: 'A', y: 'B' });
      });
    });
  });

  it('should report ExecuteProcessing and SucceedProcessing metrics', () => {
    const scheduler = new TestScheduler(() => undefined);
    const metrics: Array<[string, number]> = [];
    const errors = memoryDestination<FirehoseRecord>({ scheduler });
    of(rec('1', 'abc'), rec('2', 'drop'), rec('3', 'fail'))
      .pipe(transformWithLambda(upper, { scheduler, errorOutput: errors, metrics: (n, v) => metrics.push([n, v]) }))
      .subscribe();
    scheduler.flush();
    expect(metrics).toEqual([
      ['ExecuteProcessing.Duration', 0],
      ['ExecuteProcessing.Success', 1],
      ['SucceedProcessing.Records', 2],
      ['SucceedProcessing.Bytes', 3],
    ]);
  });

  it('should run a callback-style handler with a Lambda context', () => {
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const seen: Array<[string, string, number]> = [];
      const callbackStyle: LocalTransformation = (event, context, callback) => {
        seen.push([
          context.functionName,
          context.awsRequestId === event.invocationId ? 'same id' : 'other id',
          context.getRemainingTimeInMillis(),
        ]);
        setTimeoutLike(() => callback(null, upper(event)));
      };
      const result = cold('a|', { a: rec('1', 'cb') }).pipe(
        transformWithLambda(callbackStyle, { invocationTimeoutMs: 1000 }),
        map((r) => dec.decode(r.data)),
      );
      expectObservable(result).toBe('-(x|)', { x: 'CB' });
      flush();
      expect(seen).toEqual([['callbackStyle', 'same id', 1000]]);
    });
  });

  it('should run an async (Promise) handler, as deployed to AWS', async () => {
    const asyncUpper: LocalTransformation = async (event) => upper(event);
    const out = await new Promise<FirehoseRecord[]>((resolve, reject) => {
      const got: FirehoseRecord[] = [];
      of(rec('1', 'async'))
        .pipe(transformWithLambda(asyncUpper))
        .subscribe({ next: (r) => got.push(r), error: reject, complete: () => resolve(got) });
    });
    expect(texts(out)).toEqual(['ASYNC']);
  });
});
