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
});
