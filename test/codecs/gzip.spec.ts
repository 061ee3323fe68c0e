import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/codecs/compress.js';
import { decompress } from '../../src/codecs/decompress.js';
import { InvalidOptionError } from '../../src/errors/InvalidOptionError.js';
import { concat, jsonLines, randomChunks, sizeOf } from './data.js';
import { ensureOracles, GZIP, run } from './oracles.js';

describe('compress GZIP', () => {
  beforeAll(() => ensureOracles(GZIP));

  const cases: Record<string, Uint8Array[]> = {
    'empty input': [],
    'one empty record': [new Uint8Array(0)],
    'one record': [new TextEncoder().encode('{"a":1}\n')],
    '40 000 small JSON records (~4 MiB)': jsonLines(40_000),
    'large incompressible records': randomChunks(3, 700_000),
    'a mix of small and large records': [...jsonLines(100), ...randomChunks(2, 200_000), ...jsonLines(5000, 7), new Uint8Array(0)],
  };

  for (const [label, chunks] of Object.entries(cases)) {
    it(`should be read back by node's gunzip and by gzip -dc: ${label}`, async () => {
      const gz = await compress('GZIP', chunks);
      expect(gz[0]).toBe(0x1f);
      expect(gz[1]).toBe(0x8b);
      const expected = concat(chunks);
      expect(gunzipSync(gz).equals(expected)).toBe(true);
      expect(run('gzip', ['-dc'], gz).equals(expected)).toBe(true);
      expect(Buffer.from(await decompress('GZIP', gz)).equals(expected)).toBe(true);
    });
  }

  it('should give byte for byte what gzip of the concatenation gives, at the default level 6 and at others', async () => {
    // The fair baseline: zlib on one contiguous buffer. Streaming pieces must not change the output.
    const chunks = [...jsonLines(20_000), ...randomChunks(1, 100_000), ...jsonLines(300, 3)];
    const whole = concat(chunks);
    expect(Buffer.from(await compress('GZIP', chunks)).equals(gzipSync(whole, { level: 6 }))).toBe(true);
    expect(Buffer.from(await compress('GZIP', chunks)).equals(gzipSync(whole))).toBe(true); // zlib's default is 6
    for (const level of [1, 5, 9]) {
      expect(Buffer.from(await compress('GZIP', chunks, { gzipLevel: level })).equals(gzipSync(whole, { level }))).toBe(true);
    }
    // (Level 0 only stores, and where zlib cuts its stored blocks depends on how the input arrives.)
  });

  it('should honour gzipLevel: level 1 is larger than level 9 on compressible data, level 0 stores', async () => {
    const chunks = jsonLines(10_000);
    const fast = await compress('GZIP', chunks, { gzipLevel: 1 });
    const best = await compress('GZIP', chunks, { gzipLevel: 9 });
    const stored = await compress('GZIP', chunks, { gzipLevel: 0 });
    expect(fast.length).toBeGreaterThan(best.length);
    expect(stored.length).toBeGreaterThan(sizeOf(chunks));
    for (const gz of [fast, best, stored]) expect(run('gzip', ['-dc'], gz).equals(concat(chunks))).toBe(true);
  });

  it('should refuse a gzipLevel outside 0–9 or not an integer', async () => {
    for (const gzipLevel of [-1, 10, 1.5, Number.NaN]) {
      await expect(compress('GZIP', [], { gzipLevel })).rejects.toThrow(InvalidOptionError);
    }
    await expect(compress('GZIP', [], { gzipLevel: 10 })).rejects.toThrow(/compress: gzipLevel must be an integer ≥ 0 and ≤ 9; got 10/);
  });

  it('should refuse chunks that are not bytes, naming the index', async () => {
    await expect(compress('GZIP', [new Uint8Array(1), 'text' as unknown as Uint8Array])).rejects.toThrow(
      /chunks\[1\] must be a Uint8Array/,
    );
  });
});

describe('decompress GZIP', () => {
  beforeAll(() => ensureOracles(GZIP));

  it('should read what gzip -c writes, including concatenated members', async () => {
    const a = concat(jsonLines(3000));
    const b = concat(jsonLines(10, 9));
    const members = Buffer.concat([run('gzip', ['-c', '-9'], a), run('gzip', ['-c', '-1'], b)]);
    expect(Buffer.from(await decompress('GZIP', members)).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('should reject a corrupted CRC, a truncated stream and garbage with a clear error', async () => {
    const gz = Buffer.from(await compress('GZIP', jsonLines(500)));
    const badCrc = Buffer.from(gz);
    badCrc[badCrc.length - 8]! ^= 0xff;
    await expect(decompress('GZIP', badCrc)).rejects.toThrow(/^decompress\(GZIP\): not a valid gzip stream: incorrect data check/);
    await expect(decompress('GZIP', gz.subarray(0, gz.length - 20))).rejects.toThrow(/^decompress\(GZIP\): .*unexpected end of file/);
    await expect(decompress('GZIP', Buffer.from('not gzip at all'))).rejects.toThrow(/^decompress\(GZIP\): .*incorrect header check/);
  });
});
