import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bufferBySizeOrTime, type FlushReason } from '../../operators/index.js';

interface Item {
  readonly index: number;
  readonly size: number;
  readonly at: number; // virtual ms when the source emits it
}

interface Emission {
  readonly batch: Item[];
  readonly at: number;
  readonly reason: FlushReason;
}

const scenario = fc.record({
  maxBytes: fc.integer({ min: 1, max: 200 }),
  maxMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
  maxRecords: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  steps: fc.array(
    fc.record({
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 80 })),
      size: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 250 })),
    }),
    { maxLength: 300 },
  ),
  endGap: fc.integer({ min: 0, max: 100 }),
  end: fc.constantFrom('complete', 'error', 'never'),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

/** Runs a timed sequence through the operator in virtual time and records every emission. */
function run(s: Scenario): { items: Item[]; emissions: Emission[]; endAt: number; ended: string } {
  const scheduler = new TestScheduler(() => undefined);
  scheduler.maxFrames = Number.POSITIVE_INFINITY;
  const items: Item[] = [];
  let t = 0;
  for (const [index, step] of s.steps.entries()) {
    t += step.gap;
    items.push({ index, size: step.size, at: t });
  }
  const endAt = t + s.endGap;
  const source = new Observable<Item>((subscriber) => {
    for (const item of items) scheduler.schedule(() => subscriber.next(item), item.at);
    if (s.end === 'complete') scheduler.schedule(() => subscriber.complete(), endAt);
    if (s.end === 'error') scheduler.schedule(() => subscriber.error(new Error('end')), endAt);
  });

  const emissions: Emission[] = [];
  let pendingReason: FlushReason | undefined;
  let ended = 'no';
  source
    .pipe(
      bufferBySizeOrTime<Item>({
        maxBytes: s.maxBytes,
        maxMs: s.maxMs,
        maxRecords: s.maxRecords,
        sizeOf: (item) => item.size,
        scheduler,
        onFlush: (_batch, { reason }) => (pendingReason = reason),
      }),
    )
    .subscribe({
      next: (batch) => {
        emissions.push({ batch, at: scheduler.now(), reason: pendingReason! });
        pendingReason = undefined;
      },
      complete: () => (ended = 'complete'),
      error: () => (ended = 'error'),
    });
  scheduler.flush();
  return { items, emissions, endAt, ended };
}

const bytesOf = (batch: readonly Item[]): number => batch.reduce((sum, item) => sum + item.size, 0);

describe('bufferBySizeOrTime (properties over random timed sequences)', () => {
  it('should lose, duplicate and reorder nothing, and flush only within its rules', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { items, emissions, endAt, ended } = run(s);
        const maxRecords = s.maxRecords ?? Number.POSITIVE_INFINITY;

        // The source's end is passed on.
        expect(ended).toBe(s.end === 'never' ? 'no' : s.end);
        // Nothing lost, nothing duplicated, order kept: the batches concatenate to the input.
        expect(emissions.flatMap((e) => e.batch)).toEqual(items);

        emissions.forEach((e, k) => {
          const first = e.batch[0]!;
          const bytes = bytesOf(e.batch);
          const next = emissions[k + 1]?.batch[0];
          const isLast = k === emissions.length - 1;
          // Never an empty batch.
          expect(e.batch.length).toBeGreaterThan(0);
          // Never over budget, unless a single oversize value.
          if (e.batch.length > 1) expect(bytes).toBeLessThanOrEqual(s.maxBytes);
          // Never over the record limit.
          expect(e.batch.length).toBeLessThanOrEqual(maxRecords);
          // Never emitted before its last value arrived, nor after its first value's deadline.
          expect(e.at).toBeGreaterThanOrEqual(e.batch[e.batch.length - 1]!.at);
          expect(e.at).toBeLessThanOrEqual(first.at + s.maxMs);
          // Never emitted early without a reason.
          switch (e.reason) {
            case 'time':
              expect(e.at).toBe(first.at + s.maxMs);
              break;
            case 'size': {
              const full = bytes >= s.maxBytes;
              const nextDidNotFit = next !== undefined && next.at === e.at && bytes + next.size > s.maxBytes;
              expect(full || nextDidNotFit).toBe(true);
              break;
            }
            case 'count':
              expect(e.batch.length).toBe(maxRecords);
              break;
            case 'complete':
            case 'error':
              expect(s.end).toBe(e.reason);
              expect(isLast).toBe(true);
              expect(e.at).toBe(endAt);
              break;
          }
        });
      }),
      { numRuns: 400 },
    );
  });

  it('should emit a batch of 100,000+ small values whole, in order', () => {
    const scheduler = new TestScheduler(() => undefined);
    const n = 150_000;
    const batches: number[][] = [];
    new Observable<number>((subscriber) => {
      for (let i = 0; i < n; i++) subscriber.next(i);
      subscriber.complete();
    })
      .pipe(bufferBySizeOrTime({ maxBytes: Number.MAX_SAFE_INTEGER, sizeOf: () => 100, scheduler }))
      .subscribe((batch) => batches.push(batch));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(n);
    expect(batches[0]!.every((v, i) => v === i)).toBe(true);
  });
});
