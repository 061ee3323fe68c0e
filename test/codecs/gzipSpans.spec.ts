import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress } from '../../src/codecs/compress.js';

/** `text` cut into views of one buffer at `cuts`, as fromLines cuts lines out of its read buffer. */
function viewsOf(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const views: Uint8Array[] = [];
  let start = 0;
  for (const end of [...cuts, bytes.byteLength]) {
    views.push(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start));
    start = end;
  }
  return views;
}

describe('compress GZIP of record views', () => {
  it('should give zlib’s bytes for views that lie end to end in one buffer, in other buffers, out of order and empty', async () => {
    const line = (i: number): string => `{"i":${i},"pad":"${'x'.repeat(i % 97)}"}\n`;
    const text = Array.from({ length: 20_000 }, (_, i) => line(i)).join('');
    const one = new TextEncoder().encode(text);
    const second = new TextEncoder().encode(text.slice(0, 300_000));
    const cuts = Array.from({ length: 4000 }, (_, i) => 1 + i * 250);
    const a = viewsOf(one, cuts); // contiguous: a few spans, no copy
    const b = viewsOf(second, [100, 200, 300, 70_000]);
    // Contiguous runs broken by another buffer, by reordering, and by empty views.
    const chunks = [...a.slice(0, 2000), ...b, new Uint8Array(0), ...a.slice(2500), ...a.slice(2000, 2500), one.subarray(5, 9)];
    const whole = Buffer.concat(chunks);
    expect(Buffer.from(await compress('GZIP', chunks)).equals(gzipSync(whole, { level: 6 }))).toBe(true);
  });

  it('should give zlib’s bytes when a span of more than 1 MiB lies between small ones (written as it is, the rest gathered)', async () => {
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7919) % 251);
    const small = new TextEncoder().encode('{"small":true}\n'.repeat(5000));
    const chunks = [...viewsOf(small, [10, 20, 30_000]), ...viewsOf(big, [1000, 2000]), ...viewsOf(small, [40_000])];
    const whole = Buffer.concat(chunks);
    expect(Buffer.from(await compress('GZIP', chunks)).equals(gzipSync(whole, { level: 6 }))).toBe(true);
  });

  it('should give zlib’s bytes for spans of 256 KiB to 1 MiB (1 MiB reads: written as they are) between gathered ones', async () => {
    const KIB = 1024;
    const bytes = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * seed) % 253);
    const small = new TextEncoder().encode('{"small":true}\n'.repeat(5000));
    const chunks = [
      ...viewsOf(small, [15, 30_000]), // gathered
      ...viewsOf(bytes(300 * KIB, 7), [100, 200_000]), // one span of 300 KiB: whole
      ...viewsOf(small.subarray(0, 70_000), [5]), // gathered, after it
      bytes(256 * KIB, 11), // exactly 256 KiB: whole
      bytes(256 * KIB - 1, 13), // one byte short: gathered
      ...viewsOf(bytes(1024 * KIB - 1, 17), [500_000]), // one span just under 1 MiB: whole
      small.subarray(0, 16),
    ];
    const whole = Buffer.concat(chunks);
    expect(Buffer.from(await compress('GZIP', chunks)).equals(gzipSync(whole, { level: 6 }))).toBe(true);
  });
});
