import { describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { fromLines, InvalidOptionError, settleRecord, type FirehoseRecord } from '../../src/index.js';

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
    const subscription = fromLines(counted(), { maxInFlightBytes: 35 }).subscribe({ next: (r) => seen.push(r), complete: () => (done = true) });
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
});
