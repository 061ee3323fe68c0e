import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deliverTo, teeBackup, transformWithLambda } from '../../operators/index.js';
import { InvalidOptionError } from '../../src/index.js';
import { memoryDestination } from '../../src/testing/index.js';

// Every option of deliverTo, teeBackup and transformWithLambda, given a value of the wrong type (fuzzed with
// fast-check), must throw InvalidOptionError at the call, naming the option, the value and the allowed form.

type Kind = 'number' | 'function' | 'string' | 'boolean' | 'object' | 'errorOutput' | 'scheduler';

/** A value that is not of `kind` (and not `undefined`, which means "the default"). */
function wrongFor(kind: Kind): fc.Arbitrary<unknown> {
  const anything = fc.oneof(fc.anything(), fc.constant(null), fc.func(fc.anything()), fc.constant(Symbol('s')), fc.bigInt());
  return anything.filter((v) => {
    if (v === undefined) return false;
    switch (kind) {
      case 'number':
        return typeof v !== 'number';
      case 'function':
        return typeof v !== 'function';
      case 'string':
        return typeof v !== 'string';
      case 'boolean':
        return typeof v !== 'boolean';
      case 'object':
        return typeof v !== 'object' || v === null || Array.isArray(v);
      case 'errorOutput':
        return (
          typeof (v as { buildFailures?: unknown } | null)?.buildFailures !== 'function' ||
          typeof (v as { send?: unknown }).send !== 'function'
        );
      case 'scheduler':
        return typeof (v as { now?: unknown } | null)?.now !== 'function' || typeof (v as { schedule?: unknown }).schedule !== 'function';
    }
  });
}

const delivery: Record<string, Kind> = {
  errorOutput: 'errorOutput',
  retryDurationMs: 'number',
  concurrency: 'number',
  maxPendingAcks: 'number',
  ackTimeoutMs: 'number',
  backoff: 'object',
  sizeOf: 'function',
  scheduler: 'scheduler',
  random: 'function',
  metrics: 'function',
};

const operators: Array<[string, Record<string, Kind>, (options: unknown) => unknown]> = [
  ['deliverTo', delivery, (options) => deliverTo(memoryDestination(), options as never)],
  [
    'teeBackup',
    { ...delivery, maxBytes: 'number', maxMs: 'number', maxRecords: 'number', firehoseRanges: 'boolean', onResult: 'function' },
    (options) => teeBackup(memoryDestination(), options as never),
  ],
  [
    'transformWithLambda',
    {
      maxBytes: 'number',
      maxMs: 'number',
      numberOfRetries: 'number',
      invocationTimeoutMs: 'number',
      concurrency: 'number',
      errorOutput: 'errorOutput',
      streamName: 'string',
      deliveryStreamArn: 'string',
      region: 'string',
      sourceKinesisStreamArn: 'string',
      lambdaArn: 'string',
      backoff: 'object',
      random: 'function',
      scheduler: 'scheduler',
      metrics: 'function',
    },
    (options) => transformWithLambda(() => ({ records: [] }), options as never),
  ],
];

describe.each(operators)('%s options', (name, options, create) => {
  it.each(Object.entries(options))('should refuse a %s of the wrong type at the call, naming it', (option, kind) => {
    fc.assert(
      fc.property(wrongFor(kind), (value) => {
        let thrown: unknown;
        try {
          create({ [option]: value });
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(InvalidOptionError);
        const error = thrown as InvalidOptionError;
        expect(error.option).toBe(option);
        expect(error.value).toBe(value);
        expect(error.message).toContain(`${option} must be ${error.allowed}; got `);
      }),
      { numRuns: 60 },
    );
  });

  it('should refuse options that are not an object', () => {
    for (const value of [null, 1, 'x', true, []]) {
      expect(() => create(value)).toThrow(new RegExp(`^${name}: options must be an object; got `));
    }
  });

  it('should accept the defaults', () => {
    expect(() => create({})).not.toThrow();
  });
});
