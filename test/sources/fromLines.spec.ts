import { describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { fromLines, InvalidOptionError, settleRecord, UndeliverableRecordsError, type FirehoseRecord } from '../../src/index.js';
import { memoryDestination } from '../../src/testing/index.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}
const text = (r: FirehoseRecord): string => new TextDecoder().decode(r.data);

describe('fromLines', () => {
  it('should emit one record per line, across chunk boundaries, with its newline', async () => {
    const records = await lastValueFrom(fromLines(chunks('{"a":1}\n{"b"', ':2}\n\n{"c":3}\n{"d"', ':4}')).pipe(toArray()));
    expect(records.map(text)).toEqual(['{"a":1}\n', '{"b":2}\n', '{"c":3}\n', '{"d":4}\n']);
    expect(records.map((r) => r.recordId)).toEqual(['line-0', 'line-1', 'line-2', 'line-3']);
    records.forEach((r) => expect(r.data).toBeInstanceOf(Uint8Array));
  });

  it('should stop reading while unsettled bytes reach maxInFlightBytes, and go on as they settle', async () => {
    let pulled = 0;
    async function* counted(): AsyncGenerator<string> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield `${String(i).padStart(9, '0')}\n`; // 10 bytes a line
      }
    }
    const seen: FirehoseRecord[] = [];
    let done = false;
    const subscription = fromLines(counted(), { maxInFlightBytes: 35 }).subscribe({
      next: (r) => seen.push(r),
      complete: () => (done = true),
    });
    await new Promise((resolve) => setImmediate(resolve));
    // 4 records (40 bytes ≥ 35) are out; nothing more is read until something settles.
    expect(seen).toHaveLength(4);
    expect(pulled).toBeLessThanOrEqual(5);
    settleRecord(seen[0], 'delivered');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(5);
    // Settling everything as it comes lets the source run to its end.
    while (!done) {
      seen.forEach((r) => settleRecord(r, 'delivered'));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen).toHaveLength(100);
    subscription.unsubscribe();
  });

  it('should complete when its signal is aborted, even while waiting for room', async () => {
    async function* endless(): AsyncGenerator<string> {
      for (;;) yield 'line\n';
    }
    const abort = new AbortController();
    const all = lastValueFrom(fromLines(endless(), { maxInFlightBytes: 50, signal: abort.signal }).pipe(toArray()));
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    expect((await all).length).toBe(10);
  });

  it('should complete at once when aborted while its input is idle (stdin with nothing to read)', async () => {
    async function* idleAfterOne(): AsyncGenerator<string> {
      yield 'one\n';
      await new Promise(() => undefined); // never another chunk
    }
    const abort = new AbortController();
    const all = lastValueFrom(fromLines(idleAfterOne(), { signal: abort.signal }).pipe(toArray()));
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    const records = await Promise.race([all, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 1000))]);
    expect(records === 'hung' ? 'hung' : records.map(text)).toEqual(['one\n']);
  });

  it('should stop reading when unsubscribed', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<string> {
      for (;;) {
        pulled++;
        yield 'x\n';
      }
    }
    const first = await firstValueFrom(fromLines(endless()).pipe(take(1)));
    expect(text(first)).toBe('x\n');
    const before = pulled;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pulled).toBe(before);
  });

  it('should refuse what it cannot read', () => {
    expect(() => fromLines('a\nb' as never)).toThrow(InvalidOptionError);
    expect(() => fromLines(chunks(), { maxInFlightBytes: 0 })).toThrow('fromLines: maxInFlightBytes must be an integer ≥ 1 (bytes); got 0');
  });

  describe('long lines', () => {
    /** A line of `bytes` bytes ('x's and a newline) in 64 KiB chunks, from one reused chunk, then `after`. */
    async function* longLine(bytes: number, after = ''): AsyncGenerator<Uint8Array> {
      const chunk = new Uint8Array(65_536).fill(0x78);
      let left = bytes - 1;
      for (; left >= chunk.byteLength; left -= chunk.byteLength) yield chunk;
      yield new TextEncoder().encode(`${'x'.repeat(left)}\n${after}`);
    }

    it('should emit a long line in linear time (a 32 MiB line, read in 64 KiB chunks)', async () => {
      const records = await lastValueFrom(
        fromLines(longLine(32 * 1_048_576, 'next\n'), { maxRecordBytes: 64 * 1_048_576 }).pipe(toArray()),
      );
      expect(records.map((r) => r.data.byteLength)).toEqual([32 * 1_048_576, 5]);
      expect(records[0]!.data.every((b, i, a) => (i === a.length - 1 ? b === 0x0a : b === 0x78))).toBe(true);
    });

    it('should send a line longer than maxRecordBytes to the error output, keep only its head, and read on', async () => {
      const errors = memoryDestination<FirehoseRecord>();
      const checkpoints: number[] = [];
      const records = await lastValueFrom(
        fromLines(longLine(100 * 1_048_576, 'next\n'), {
          maxRecordBytes: 1000,
          errorOutput: errors,
          onCheckpoint: (o) => checkpoints.push(o),
        }).pipe(toArray()),
      );
      expect(records.map(text)).toEqual(['next\n']);
      expect(records[0]!.recordId).toBe('line-1');
      expect(errors.failureWrites).toHaveLength(1);
      const [write] = errors.failureWrites;
      expect(write!.errorOutputType).toBe('processing-failed');
      expect(write!.failures).toMatchObject([
        {
          attemptsMade: 0,
          errorCode: 'Source.RecordTooLarge',
          errorMessage: 'the line is 104857600 bytes, more than maxRecordBytes (1000); rawData holds its first 1000 bytes',
          rawData: Buffer.from('x'.repeat(1000)).toString('base64'),
        },
      ]);
      expect(checkpoints).toEqual([100 * 1_048_576]); // the long line counts as settled once written
    });

    it('should error with the line when it is too long and there is no error output', async () => {
      const failed = lastValueFrom(fromLines(chunks('short\n', 'x'.repeat(20), '\n'), { maxRecordBytes: 10 }).pipe(toArray()));
      await expect(failed).rejects.toThrow(UndeliverableRecordsError);
    });

    it('should send a last line without newline over the limit to the error output too', async () => {
      const errors = memoryDestination<FirehoseRecord>();
      const records = await lastValueFrom(
        fromLines(chunks('ok\n', '0123456789'), { maxRecordBytes: 10, errorOutput: errors }).pipe(toArray()),
      );
      expect(records.map(text)).toEqual(['ok\n']);
      expect(errors.failureWrites[0]!.failures[0]).toMatchObject({
        errorMessage: 'the line is 11 bytes, more than maxRecordBytes (10); rawData holds its first 10 bytes',
      });
    });
  });

  describe('checkpoints', () => {
    it('should report the offset below which every line settled, in input order whatever the settling order', async () => {
      const checkpoints: number[] = [];
      const seen: FirehoseRecord[] = [];
      // line offsets: "aa\n" 0–3, "\n" 3–4 (skipped), "bbb\n" 4–8, "c\n" 8–10 (split across chunks)
      const done = lastValueFrom(fromLines(chunks('aa\n\nbbb\n', 'c', '\n'), { onCheckpoint: (o) => checkpoints.push(o) }).pipe(toArray()));
      (await done).forEach((r) => seen.push(r));
      expect(seen.map(text)).toEqual(['aa\n', 'bbb\n', 'c\n']);
      expect(checkpoints).toEqual([]);
      settleRecord(seen[1], 'delivered');
      expect(checkpoints).toEqual([]);
      settleRecord(seen[0], 'delivered');
      expect(checkpoints).toEqual([8]);
      settleRecord(seen[2], 'failed');
      expect(checkpoints).toEqual([8, 10]);
    });
  });

  it('should refuse every option of a wrong type, null included, at the call', () => {
    const wrong: Record<string, unknown[]> = {
      maxInFlightBytes: [null, '1', 1.5, -1, Number.NaN, {}],
      maxRecordBytes: [null, '1', 1, 2.5, Infinity, []],
      signal: [null, 'x', 1, {}, () => undefined],
      scheduler: [null, 'x', 1, {}, { now: () => 0 }],
      recordIdPrefix: [null, 1, {}, Symbol('x')],
      onInFlight: [null, 'x', 1, {}],
      onCheckpoint: [null, 'x', 1, {}],
      errorOutput: [null, 'x', 1, {}],
    };
    for (const [option, values] of Object.entries(wrong)) {
      for (const value of values) {
        expect(() => fromLines(chunks(), { [option]: value } as never), `${option}: ${String(value)}`).toThrow(
          expect.objectContaining({ name: 'InvalidOptionError', option }),
        );
      }
    }
    expect(() => fromLines(chunks(), null as never)).toThrow(InvalidOptionError);
  });
});
