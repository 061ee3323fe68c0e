import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { transformWithLambda } from '../../operators/index.js';
import type { FirehoseRecord } from '../../src/index.js';
import { memoryDestination, trackSettlements } from '../../src/testing/index.js';
import { startLambdaOffline, type LambdaOffline } from '../support/lambda.js';

// A real Lambda Invoke API: serverless-offline running test/support/lambda/handlers.mjs on 127.0.0.1,
// invoked through @aws-sdk/client-lambda.
let offline: LambdaOffline | undefined;
let client: LambdaClient;

beforeAll(async () => {
  offline = await startLambdaOffline();
  client = offline.client();
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await offline?.stop();
});

const enc = new TextEncoder();
const records = (...lines: object[]): FirehoseRecord[] =>
  lines.map((l, i) => ({ recordId: `r${i}`, data: enc.encode(JSON.stringify(l) + '\n'), approximateArrivalTimestamp: 1_000 + i }));

async function run(functionName: string, input: FirehoseRecord[], options: Parameters<typeof transformWithLambda>[1] = {}) {
  const errors = memoryDestination<FirehoseRecord>();
  const log = trackSettlements(input);
  const out = await lastValueFrom(
    from(input).pipe(transformWithLambda({ client, functionName }, { errorOutput: errors, numberOfRetries: 0, ...options }), toArray()),
  );
  return { out, errors, log };
}

describe('transformWithLambda against a real Lambda Invoke API (serverless-offline)', () => {
  it('should transform, drop and fail records as the function says', async () => {
    const input = records({ customer: 'acme', n: 1 }, { drop: true }, { fail: true }, { n: 4 });
    const { out, errors, log } = await run('transform', input);
    expect(out.map((r) => [r.recordId, JSON.parse(new TextDecoder().decode(r.data)), r.partitionKeys])).toEqual([
      ['r0', { customer: 'acme', n: 1, transformed: true }, { customer: 'acme' }],
      ['r3', { n: 4, transformed: true }, { customer: 'none' }],
    ]);
    expect(out[0]!.approximateArrivalTimestamp).toBe(1_000);
    expect(errors.failureWrites.flatMap((w) => w.failures)).toMatchObject([
      {
        errorCode: 'Lambda.ProcessingFailedStatus',
        arrivalTimestamp: 1_002,
        lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:transform',
      },
    ]);
    expect(log.events.map((e) => [e.index, e.outcome])).toEqual([
      [1, 'dropped'],
      [2, 'failed'],
    ]);
  });

  it('should turn a function error into processing-failed records (Lambda.FunctionError), after its retries', async () => {
    const { out, errors } = await run('crash', records({ a: 1 }, { b: 2 }), { numberOfRetries: 1, backoff: { initialMs: 1 } });
    expect(out).toEqual([]);
    const failures = errors.failureWrites.flatMap((w) => w.failures);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ errorCode: 'Lambda.FunctionError', attemptsMade: 2 });
    expect(failures[0]!.errorMessage).toMatch(/^Unhandled: Error: crash handler invoked with 2 records/);
  });

  it('should report an unknown function as Lambda.ResourceNotFound', async () => {
    const { errors } = await run('no-such-function', records({ a: 1 }));
    expect(errors.failureWrites[0]!.failures[0]).toMatchObject({ errorCode: 'Lambda.ResourceNotFound' });
  });

  it("should report the function's own timeout as Lambda.FunctionTimedOut", async () => {
    const { errors } = await run('slow', records({ a: 1 }));
    expect(errors.failureWrites[0]!.failures[0]).toMatchObject({ errorCode: 'Lambda.FunctionTimedOut' });
  }, 30_000);

  it('should time out an invocation that takes longer than invocationTimeoutMs', async () => {
    const { errors } = await run('slow', records({ a: 1 }), { invocationTimeoutMs: 200 });
    expect(errors.failureWrites[0]!.failures[0]).toMatchObject({
      errorCode: 'Lambda.FunctionTimedOut',
      errorMessage: 'the invocation took longer than 200 ms',
    });
  }, 30_000);

  it('should treat a response that breaks the contract as a failed invocation', async () => {
    const { errors } = await run('malformed', records({ a: 1 }));
    expect(errors.failureWrites[0]!.failures[0]).toMatchObject({ errorCode: 'Lambda.MissingRecordId' });
  });

  it('should invoke by ARN and keep it as the lambdaArn of failure records', async () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:transform';
    const { errors } = await run(arn, records({ fail: true }));
    expect(errors.failureWrites[0]!.failures[0]).toMatchObject({ errorCode: 'Lambda.ProcessingFailedStatus', lambdaArn: arn });
  });
});
