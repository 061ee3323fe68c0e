import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { fromLines, InvalidOptionError, linesIn, settleRecord, type FirehoseRecord } from '../../src/index.js';
import { memoryDestination } from '../../src/testing/index.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}
const text = (r: FirehoseRecord): string => new TextDecoder().decode(r.data);

describe('fromLines aggregatedRecordSizeBytes', () => {
  it('should join whole lines into records of at most that many bytes, each run ending with its read chunk', async () => {
    // 'aa\n' 3, 'bbbb\n' 5, 'c\n' 2, 'dd\n' 3: with 10 bytes, aa+bbbb+c is 10 (fits), dd starts the next run.
    const records = await lastValueFrom(
      fromLines(chunks('aa\nbbbb\nc\ndd\n', 'e\nf\n'), { aggregatedRecordSizeBytes: 10 }).pipe(toArray()),
    );
    expect(records.map(text)).toEqual(['aa\nbbbb\nc\n', 'dd\n', 'e\nf\n']);
    expect(records.map(linesIn)).toEqual([3, 1, 2]);
    // Ids are the numbers of their first lines: line numbers count lines, not records.
    expect(records.map((r) => r.recordId)).toEqual(['line-0', 'line-3', 'line-4']);
  });

  it('should keep a line longer than the size, a line that spans chunks and the last line without newline as records of their own', async () => {
    const records = await lastValueFrom(
      fromLines(chunks('a\nlonger-than-8\nb\nc\nsp', 'lit\nd\ne\nlast'), { aggregatedRecordSizeBytes: 8 }).pipe(toArray()),
    );
    expect(records.map(text)).toEqual(['a\n', 'longer-than-8\n', 'b\nc\n', 'split\n', 'd\ne\n', 'last\n']);
    expect(records.map(linesIn)).toEqual([1, 1, 2, 1, 2, 1]);
    expect(records.map((r) => r.recordId)).toEqual(['line-0', 'line-1', 'line-2', 'line-4', 'line-5', 'line-7']);
  });

  it('should skip empty lines between runs, and send a line over maxRecordBytes to the error output, reading on', async () => {
    const errors = memoryDestination<FirehoseRecord>();
    const records = await lastValueFrom(
      fromLines(chunks(`a\nb\n\nc\n${'x'.repeat(40)}\nd\ne\n`), {
        aggregatedRecordSizeBytes: 16,
        maxRecordBytes: 20,
        errorOutput: errors,
      }).pipe(toArray()),
    );
    expect(records.map(text)).toEqual(['a\nb\n', 'c\n', 'd\ne\n']);
    expect(errors.failureWrites.map((w) => w.failures.map((f) => f.errorCode))).toEqual([['Source.RecordTooLarge']]);
  });

  it('should checkpoint past a whole run once it settles, and count a run as one record against maxInFlightRecords', async () => {
    const checkpoints: number[] = [];
    const seen: FirehoseRecord[] = [];
    let done = false;
    const subscription = fromLines(chunks('a\nb\nc\n', 'dd\nee\n', 'f\n'), {
      aggregatedRecordSizeBytes: 100,
      maxInFlightRecords: 2,
      onCheckpoint: (o) => checkpoints.push(o),
    }).subscribe({ next: (r) => seen.push(r), complete: () => (done = true) });
    await new Promise((resolve) => setImmediate(resolve));
    // Two records (of five lines) are the budget: reading waits.
    expect(seen.map(text)).toEqual(['a\nb\nc\n', 'dd\nee\n']);
    settleRecord(seen[1], 'delivered');
    expect(checkpoints).toEqual([]);
    settleRecord(seen[0], 'delivered');
    expect(checkpoints).toEqual([12]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map(text)).toEqual(['a\nb\nc\n', 'dd\nee\n', 'f\n']);
    settleRecord(seen[2], 'delivered');
    expect(checkpoints).toEqual([12, 14]);
    expect(done).toBe(true);
    subscription.unsubscribe();
  });

  it('should emit a record per line by default, and count 1 line for any record that is not aggregated', async () => {
    const records = await lastValueFrom(fromLines(chunks('a\nb\n')).pipe(toArray()));
    expect(records.map(text)).toEqual(['a\n', 'b\n']);
    expect(records.map(linesIn)).toEqual([1, 1]);
    expect(linesIn({ recordId: 'x', data: new Uint8Array(4), approximateArrivalTimestamp: 0 })).toBe(1);
  });

  it('should refuse a size that is not an integer from 0 to maxRecordBytes, naming the option and the range', () => {
    async function* none(): AsyncGenerator<string> {}
    for (const bad of [-1, 1.5, Number.NaN, '64', null, 1_024_001]) {
      expect(() => fromLines(none(), { aggregatedRecordSizeBytes: bad as number })).toThrow(InvalidOptionError);
    }
    expect(() => fromLines(none(), { aggregatedRecordSizeBytes: 2000, maxRecordBytes: 1000 })).toThrow(
      'fromLines: aggregatedRecordSizeBytes must be an integer from 0 to maxRecordBytes (1000) (bytes); got 2000',
    );
  });
});
