import fc from 'fast-check';
import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { teeBackup } from '../../operators/index.js';
import { dynamoDbCheckpointStore, fromLines, toRecords } from '../../src/index.js';
import { memoryDestination } from '../../src/testing/index.js';

// Every option of these factories, fuzzed with values of the wrong type (null included, which never means
// "the default"): each must throw an InvalidOptionError naming that option at the call, never fail later.
type Kind = 'function' | 'scheduler' | 'signal' | 'boolean' | 'string' | 'positiveInteger' | 'integerFrom2' | 'errorOutput';

const fits: Record<Kind, (v: unknown) => boolean> = {
  function: (v) => typeof v === 'function',
  scheduler: (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { now?: unknown }).now === 'function' &&
    typeof (v as { schedule?: unknown }).schedule === 'function',
  signal: (v) => v instanceof AbortSignal,
  boolean: (v) => typeof v === 'boolean',
  string: (v) => typeof v === 'string',
  positiveInteger: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1,
  integerFrom2: (v) => typeof v === 'number' && Number.isInteger(v) && v >= 2,
  errorOutput: (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { buildFailures?: unknown }).buildFailures === 'function' &&
    typeof (v as { send?: unknown }).send === 'function',
};

/** Values of any type, plus near misses: objects shaped almost like a scheduler or a signal. */
const anything = fc.oneof(
  fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withTypedArray: true, withBigInt: true, withDate: true }),
  fc.constantFrom<unknown>(
    null,
    Number.NaN,
    Infinity,
    -1,
    0,
    1.5,
    '',
    'true',
    [],
    {},
    () => undefined,
    Symbol('x'),
    { now: () => 0 },
    { schedule: () => undefined },
    { aborted: false },
  ),
);

function fuzz(name: string, options: Record<string, Kind>, build: (options: Record<string, unknown>) => unknown): void {
  for (const [option, kind] of Object.entries(options)) {
    it(`${name}: ${option} (${kind})`, () => {
      fc.assert(
        fc.property(
          anything.filter((v) => v !== undefined && !fits[kind](v)),
          (value) => {
            expect(() => build({ [option]: value })).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option }));
          },
        ),
        { numRuns: 150 },
      );
    });
  }
}

async function* noLines(): AsyncGenerator<string> {}
const client = { send: () => Promise.resolve({}) };

describe('options fuzzed with wrong types', () => {
  fuzz('toRecords', { encode: 'function', appendNewline: 'boolean', recordIdPrefix: 'string', scheduler: 'scheduler' }, (o) =>
    toRecords(o),
  );
  fuzz(
    'fromLines',
    {
      maxInFlightBytes: 'positiveInteger',
      maxInFlightRecords: 'positiveInteger',
      maxRecordBytes: 'integerFrom2',
      signal: 'signal',
      scheduler: 'scheduler',
      recordIdPrefix: 'string',
      onInFlight: 'function',
      onCheckpoint: 'function',
      errorOutput: 'errorOutput',
    },
    (o) => fromLines(noLines(), o),
  );
  fuzz('dynamoDbCheckpointStore', { createTable: 'boolean', scheduler: 'scheduler' }, (o) =>
    dynamoDbCheckpointStore({ client, tableName: 'checkpoints', ...o } as never),
  );
  fuzz('teeBackup', { firehoseRanges: 'boolean' }, (o) => teeBackup(memoryDestination(), o));

  it('should still take every valid value', () => {
    expect(() => toRecords({ encode: String, appendNewline: true, recordIdPrefix: '', scheduler: asyncScheduler })).not.toThrow();
    expect(() =>
      fromLines(noLines(), {
        signal: new AbortController().signal,
        scheduler: asyncScheduler,
        recordIdPrefix: 'x',
        onInFlight: () => undefined,
        onCheckpoint: () => undefined,
        errorOutput: memoryDestination(),
        maxRecordBytes: 10,
      }),
    ).not.toThrow();
    expect(() =>
      dynamoDbCheckpointStore({ client, tableName: 'checkpoints', createTable: true, scheduler: asyncScheduler } as never),
    ).not.toThrow();
    expect(() => teeBackup(memoryDestination(), { firehoseRanges: false, maxBytes: 10 })).not.toThrow();
  });
});
