import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { filter, lastValueFrom, map, toArray } from 'rxjs';
import { bufferBySizeOrTime, deliverTo, filterRecords, mapRecords, teeBackup } from '../../operators/index.js';
import { fromLines, LostSettlementError, type FirehoseRecord } from '../../src/index.js';
import { memoryDestination } from '../../src/testing/index.js';

// The silent stall: a replayable source waits for every record it emitted to settle. The ordinary map a
// user writes copies each record, and the copy has no settlement: without detection, reading stops for ever.

const lines = (n: number): Readable => Readable.from(Array.from({ length: n }, (_, i) => `{"n":${i}}\n`));
const upper = (data: Uint8Array): Uint8Array => new TextEncoder().encode(new TextDecoder().decode(data).toUpperCase());

describe('lost settlements', () => {
  it('should error, naming the likely cause, when map(r => ({ ...r, data: f(r.data) })) drops the settlements', async () => {
    const metrics: Array<[string, number]> = [];
    const dest = memoryDestination<FirehoseRecord>();
    // A budget of 3 lines: without detection, the source would stop after 3 records and never go on.
    const pipeline = fromLines(lines(100), { maxInFlightBytes: 24 }).pipe(
      map((r) => ({ ...r, data: upper(r.data) })),
      bufferBySizeOrTime({ maxRecords: 2, maxMs: 60_000 }),
      deliverTo(dest, { metrics: (name, value) => metrics.push([name, value]) }),
    );
    const error = await lastValueFrom(pipeline).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LostSettlementError);
    expect((error as LostSettlementError).message).toContain('map(r => ({ ...r, data: f(r.data) }))');
    expect((error as LostSettlementError).message).toContain('mapRecords');
    expect((error as LostSettlementError).recordIds).toEqual(['line-0', 'line-1']);
    expect(metrics).toContainEqual(['DeliveryToMemory.LostSettlements', 2]);
    expect(dest.attempts).toEqual([]); // noticed before anything was sent: the source replays it all
  });

  it('should notice the copies in teeBackup too', async () => {
    const error = await lastValueFrom(
      fromLines(lines(5)).pipe(
        map((r) => ({ ...r })),
        teeBackup(memoryDestination(), { firehoseRanges: false, maxMs: 1 }),
      ),
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LostSettlementError);
  });

  it('should run the same pipeline to the end with mapRecords, every record delivered and settled', async () => {
    const dest = memoryDestination<FirehoseRecord>();
    const results = await lastValueFrom(
      fromLines(lines(100), { maxInFlightBytes: 24 }).pipe(
        mapRecords((r) => ({ ...r, data: upper(r.data) })),
        bufferBySizeOrTime({ maxRecords: 2, maxMs: 60_000 }),
        deliverTo(dest),
        toArray(),
      ),
    );
    expect(results.reduce((n, r) => n + r.records.length, 0)).toBe(100);
    expect(new TextDecoder().decode(dest.delivered[99]!.data)).toBe('{"N":99}\n');
  });

  it('should settle what filterRecords drops, so reading goes on', async () => {
    const dest = memoryDestination<FirehoseRecord>();
    await lastValueFrom(
      fromLines(lines(100), { maxInFlightBytes: 24 }).pipe(
        filterRecords((r) => r.recordId.endsWith('0')),
        bufferBySizeOrTime({ maxRecords: 2, maxMs: 60_000 }),
        deliverTo(dest),
        toArray(),
      ),
    );
    expect(dest.delivered.map((r) => r.recordId)).toEqual(Array.from({ length: 10 }, (_, i) => `line-${i * 10}`));
  });

  it('should error the source once the garbage collector takes a record dropped without settling (a plain filter)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void (w.name === 'LostSettlementWarning' && warnings.push(w));
    process.on('warning', onWarning);
    try {
      let failed: unknown;
      const stalled = new Promise<void>((resolve) =>
        fromLines(lines(100), { maxInFlightBytes: 24 })
          .pipe(filter(() => false))
          .subscribe({ error: (err: unknown) => ((failed = err), resolve()), complete: resolve }),
      );
      // The source stops once 3 dropped records fill its budget; the collector then finds their settlements lost.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      await stalled;
      expect(failed).toBeInstanceOf(LostSettlementError);
      expect((failed as Error).message).toMatch(/^garbage collector: 1 record\(s\) lost their settlement \(line-\d\)/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.length).toBeGreaterThanOrEqual(1);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
