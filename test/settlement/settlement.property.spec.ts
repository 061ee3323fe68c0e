import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Observable, timer, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bufferBySizeOrTime, deliverTo, teeBackup } from '../../operators/index.js';
import {
  DeliveryError,
  type DeliveryRequest,
  type Destination,
  type ErrorOutput,
  type FailureRecord,
  type FirehoseRecord,
  type ItemFailure,
  type SendOutcome,
} from '../../src/index.js';
import { recordOfSize, trackSettlements } from '../../src/testing/index.js';

interface FailuresRequest extends DeliveryRequest {
  readonly failures: readonly FailureRecord[];
}

/** A deterministic pseudo-random stream (mulberry32) so one fast-check seed is one scenario. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per record: when each path acknowledged it (delivered, or written to the error output). */
type Acks = Map<FirehoseRecord, { atMs: number; how: 'delivered' | 'failed' }[]>;

interface FlakyRequest extends DeliveryRequest {
  readonly batch: readonly FirehoseRecord[];
}

/** A destination that fails at random: whole attempts (transient or permanent) or some items. */
function flakyDestination(
  name: string,
  scheduler: TestScheduler,
  random: () => number,
  acks: Acks,
  path: string,
): Destination<FlakyRequest> {
  return {
    name,
    build: (batch) => ({ request: { ids: [name], items: batch.map((_r, i) => i), bytes: 0, batch: batch as readonly FirehoseRecord[] } }),
    send: (request) =>
      timer(Math.floor(random() * 50), scheduler).pipe(
        map((): SendOutcome<FlakyRequest> => {
          const batch = request.items.map((i) => request.batch[i]!);
          const roll = random();
          if (roll < 0.2) throw new DeliveryError(`${name}.Transient`, 'try again');
          if (roll < 0.25) throw new DeliveryError(`${name}.Permanent`, 'never', { permanent: true });
          const failed: ItemFailure[] = [];
          batch.forEach((_r, index) => {
            if (roll > 0.8 && random() < 0.3)
              failed.push({ index, errorCode: `${name}.Item`, errorMessage: 'item failed', retriable: random() < 0.7 });
          });
          const failedIndexes = new Set(failed.map((f) => f.index));
          batch.forEach((record, i) => {
            if (!failedIndexes.has(i)) push(acks, record, { atMs: scheduler.now(), how: 'delivered' }, path);
          });
          if (failed.length === 0) return { status: 'accepted' };
          // Indexes of the outcome are into the batch as built; the retry is the original request, narrowed.
          const inBatch = failed.map((f) => ({ ...f, index: request.items[f.index]! }));
          const retry = inBatch.filter((f) => f.retriable !== false).map((f) => f.index);
          return { status: 'partial', failed: inBatch, retry: { ...request, items: retry } };
        }),
      ),
  };
}

/** An error output that sometimes fails transiently, and records which records it wrote. */
function flakyErrorOutput(
  scheduler: TestScheduler,
  random: () => number,
  acks: Acks,
  path: string,
  byRawData: Map<string, FirehoseRecord>,
): ErrorOutput<FailuresRequest> {
  return {
    name: 'Errors',
    buildFailures: (failures) => ({ request: { ids: [], items: failures.map((_f, i) => i), bytes: 0, failures } }),
    send: ({ failures }) =>
      timer(Math.floor(random() * 20), scheduler).pipe(
        map(() => {
          if (random() < 0.2) throw new Error('error output hiccup');
          for (const f of failures) push(acks, byRawData.get(f.rawData)!, { atMs: scheduler.now(), how: 'failed' }, path);
          return { status: 'accepted' } as const;
        }),
      ),
  };
}

function push(acks: Acks, record: FirehoseRecord, ack: { atMs: number; how: 'delivered' | 'failed' }, path: string): void {
  const list = acks.get(record) ?? [];
  list.push({ ...ack, path } as never);
  acks.set(record, list);
}

describe('settlement through the operators (properties)', () => {
  it('should settle every record exactly once, never before each of its paths acknowledged it', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer(),
          sizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 60 }),
          gaps: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 60, maxLength: 60 }),
          withBackup: fc.boolean(),
          maxBytes: fc.integer({ min: 1, max: 120 }),
          maxMs: fc.integer({ min: 0, max: 100 }),
          concurrency: fc.integer({ min: 1, max: 4 }),
        }),
        (s) => {
          const scheduler = new TestScheduler(() => undefined);
          scheduler.maxFrames = Number.POSITIVE_INFINITY;
          const random = prng(s.seed);
          const records = s.sizes.map((size, i) => recordOfSize(size, { recordId: String(i), fill: String.fromCharCode(65 + (i % 26)) }));
          // Distinct payloads, so a failure record's rawData names its record.
          records.forEach((r, i) => new DataView(r.data.buffer).setUint8(0, i % 256));
          const byRawData = new Map(records.map((r) => [Buffer.from(r.data).toString('base64'), r]));
          if (byRawData.size !== records.length) return; // payload collision: skip this draw
          const log = trackSettlements(records, () => scheduler.now());
          const acks: Acks = new Map();

          let t = 0;
          const source = new Observable<FirehoseRecord>((subscriber) => {
            records.forEach((record, i) => {
              t += s.gaps[i]!;
              scheduler.schedule(() => subscriber.next(record), t);
            });
            scheduler.schedule(() => subscriber.complete(), t + 1);
          });

          const common = { scheduler, random, retryDurationMs: 5_000, concurrency: s.concurrency };
          let pipeline = source;
          if (s.withBackup) {
            pipeline = pipeline.pipe(
              teeBackup(flakyDestination('Backup', scheduler, random, acks, 'backup'), {
                ...common,
                maxBytes: s.maxBytes,
                maxMs: s.maxMs,
                firehoseRanges: false,
                errorOutput: flakyErrorOutput(scheduler, random, acks, 'backup', byRawData),
              }),
            );
          }
          let completed = false;
          pipeline
            .pipe(
              bufferBySizeOrTime({ maxBytes: s.maxBytes, maxMs: s.maxMs, scheduler }),
              deliverTo(flakyDestination('Main', scheduler, random, acks, 'main'), {
                ...common,
                errorOutput: flakyErrorOutput(scheduler, random, acks, 'main', byRawData),
              }),
            )
            .subscribe({
              complete: () => (completed = true),
              error: (e: unknown) => {
                throw e;
              },
            });
          scheduler.flush();

          expect(completed).toBe(true);
          // Every record settled, exactly once.
          expect(log.unsettled()).toEqual([]);
          records.forEach((record, i) => {
            expect(log.count(i)).toBe(1);
            const event = log.events.find((e) => e.index === i)!;
            const paths = (acks.get(record) ?? []) as unknown as Array<{ atMs: number; how: string; path: string }>;
            const expectedPaths = s.withBackup ? ['backup', 'main'] : ['main'];
            // Each path acknowledged the record (once or more: retries of partial failures never repeat an acknowledged item).
            expect([...new Set(paths.map((p) => p.path))].sort()).toEqual(expectedPaths);
            for (const path of expectedPaths) {
              const first = paths.filter((p) => p.path === path).sort((a, b) => a.atMs - b.atMs)[0]!;
              // Never settled before that path's acknowledgement.
              expect(event.atMs).toBeGreaterThanOrEqual(first.atMs);
            }
            // The outcome says whether any path had to use its error output.
            expect(event.outcome).toBe(paths.some((p) => p.how === 'failed') ? 'failed' : 'delivered');
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
