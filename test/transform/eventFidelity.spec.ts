import { describe, expect, expectTypeOf, it } from 'vitest';
import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { KinesisFirehoseSchema } from '@aws-lambda-powertools/parser/schemas';
import type { FirehoseTransformationEvent as AwsLambdaTypingsEvent } from 'aws-lambda';
import { transformWithLambda } from '../../operators/index.js';
import type { FirehoseRecord, FirehoseTransformationEvent, LocalTransformation } from '../../src/index.js';
import { memoryDestination } from '../../src/testing/index.js';
import { LAMBDA_RESPONSE_LIMIT_BYTES } from '../../src/transform/checkResponseSize.js';

// The events transformWithLambda builds, checked against schemas of Firehose's events that rx-firehose did
// not write: the Powertools for AWS Lambda parser's zod schema (what a handler validating its input uses)
// and the aws-lambda typings.
const enc = new TextEncoder();
const ARRIVAL_MS = 1_764_000_000_000;
const kinesisRecord = (id: string, subsequenceNumber: number): FirehoseRecord => ({
  recordId: id,
  data: enc.encode(`{"n":"${id}"}\n`),
  approximateArrivalTimestamp: ARRIVAL_MS,
  kinesisRecordMetadata: {
    shardId: 'shardId-000000000001',
    partitionKey: 'pk',
    sequenceNumber: '49546986683135544286507457936321625675700192471156785154',
    subsequenceNumber,
    approximateArrivalTimestamp: ARRIVAL_MS - 5,
  },
});

function captureEvents(records: FirehoseRecord[], sourceKinesisStreamArn?: string): FirehoseTransformationEvent[] {
  const scheduler = new TestScheduler(() => undefined);
  const events: FirehoseTransformationEvent[] = [];
  const capture: LocalTransformation = (event) => {
    events.push(structuredClone(event));
    return { records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) };
  };
  of(...records)
    .pipe(transformWithLambda(capture, { scheduler, ...(sourceKinesisStreamArn === undefined ? {} : { sourceKinesisStreamArn }) }))
    .subscribe();
  scheduler.flush();
  return events;
}

describe('the Lambda event, against published schemas of Firehose events', () => {
  it('should pass the Powertools parser schema for records from a Kinesis stream (subsequenceNumber a number)', () => {
    const events = captureEvents([kinesisRecord('a', 0), kinesisRecord('b', 3)], 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks');
    expect(events).toHaveLength(1);
    const parsed = KinesisFirehoseSchema.safeParse(events[0]);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(events[0]!.records.map((r) => r.kinesisRecordMetadata?.subsequenceNumber)).toEqual([0, 3]);
    expect(parsed.data?.records.map((r) => r.data)).toEqual(['{"n":"a"}\n', '{"n":"b"}\n']);
  });

  it('should pass the Powertools parser schema for records without Kinesis metadata', () => {
    const events = captureEvents([{ recordId: 'x', data: enc.encode('hi'), approximateArrivalTimestamp: ARRIVAL_MS }]);
    expect(KinesisFirehoseSchema.safeParse(events[0]).success).toBe(true);
  });

  it('should fail that schema with a string subsequenceNumber (the check can fail)', () => {
    const [event] = captureEvents([kinesisRecord('a', 0)]);
    const broken = structuredClone(event!) as unknown as { records: Array<{ kinesisRecordMetadata: { subsequenceNumber: unknown } }> };
    broken.records[0]!.kinesisRecordMetadata.subsequenceNumber = '0';
    expect(KinesisFirehoseSchema.safeParse(broken).success).toBe(false);
  });

  it('should have the aws-lambda typings’ shape, except subsequenceNumber, which those typings call a string', () => {
    type Metadata = NonNullable<FirehoseTransformationEvent['records'][number]['kinesisRecordMetadata']>;
    type TheirMetadata = NonNullable<AwsLambdaTypingsEvent['records'][number]['kinesisRecordMetadata']>;
    expectTypeOf<Metadata['subsequenceNumber']>().toEqualTypeOf<number>();
    expectTypeOf<Omit<Metadata, 'subsequenceNumber'>>().toEqualTypeOf<Omit<TheirMetadata, 'subsequenceNumber'>>();
    expectTypeOf<Omit<FirehoseTransformationEvent, 'records'>>().toMatchTypeOf<Omit<AwsLambdaTypingsEvent, 'records'>>();
    expectTypeOf<Omit<FirehoseTransformationEvent['records'][number], 'kinesisRecordMetadata'>>().toEqualTypeOf<
      Omit<AwsLambdaTypingsEvent['records'][number], 'kinesisRecordMetadata'>
    >();
  });
});

describe("a local handler's response, held to Lambda's 6 MB response limit", () => {
  const answer =
    (bytes: number): LocalTransformation =>
    (event) => ({
      records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: Buffer.alloc(bytes).toString('base64') })),
    });

  it('should fail a response over the limit as Lambda reports it, retry it, then write processing-failed records', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = Number.POSITIVE_INFINITY; // the retry waits about 1 s of virtual time
    const errors = memoryDestination<FirehoseRecord>({ scheduler });
    let calls = 0;
    const big = answer(5 * 1_048_576); // 5 MiB of bytes → about 7 MB of base64
    const counting: LocalTransformation = (event, ...rest) => {
      calls++;
      return (big as (...a: unknown[]) => unknown)(event, ...rest) as ReturnType<typeof big>;
    };
    const out: FirehoseRecord[] = [];
    of({ recordId: '1', data: enc.encode('x'), approximateArrivalTimestamp: 1 })
      .pipe(transformWithLambda(counting, { scheduler, errorOutput: errors, numberOfRetries: 1, random: () => 0.5 }))
      .subscribe((r) => out.push(r));
    scheduler.flush();
    expect(out).toEqual([]);
    expect(calls).toBe(2);
    expect(errors.failureWrites[0]!.failures).toMatchObject([
      {
        attemptsMade: 2,
        errorCode: 'Lambda.FunctionError',
        errorMessage: expect.stringContaining(
          `Unhandled: Function.ResponseSizeTooLarge: Response payload size exceeded maximum allowed payload size (${LAMBDA_RESPONSE_LIMIT_BYTES} bytes).`,
        ),
      },
    ]);
  });

  it('should pass a response under the limit', () => {
    const scheduler = new TestScheduler(() => undefined);
    const out: FirehoseRecord[] = [];
    of({ recordId: '1', data: enc.encode('x'), approximateArrivalTimestamp: 1 })
      .pipe(transformWithLambda(answer(4 * 1_048_576), { scheduler }))
      .subscribe((r) => out.push(r));
    scheduler.flush();
    expect(out.map((r) => r.data.byteLength)).toEqual([4 * 1_048_576]);
  });
});
