import { compressSync } from 'snappy';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/codecs/compress.js';
import { decompress } from '../../src/codecs/decompress.js';
import { concat, jsonLines, randomChunks } from './data.js';
import { ensureOracles, python, PYTHON_SNAPPY, SNAPPY_PRELUDE } from './oracles.js';

/** Hadoop's default: io.compression.codec.snappy.buffersize 256 KiB minus (256 KiB / 6 + 32). */
const BLOCK_MAX = 262_144 - (Math.floor(262_144 / 6) + 32);

/** python-snappy's hadoop_snappy decoder (on C++ libsnappy). */
const pythonUnblock = (bytes: Uint8Array): Buffer =>
  python(SNAPPY_PRELUDE + 'stdout.write(feed(hadoop.StreamDecompressor(), stdin.read()))', bytes);

interface Block {
  readonly length: number;
  readonly chunks: Buffer[];
}
/** The blocks of a Hadoop snappy stream, parsed by the format's plain rules (one pass, no decoding). */
function blocksOf(bytes: Uint8Array, rawLength: (raw: Buffer) => number): Block[] {
  const b = Buffer.from(bytes);
  const blocks: Block[] = [];
  for (let pos = 0; pos < b.length; ) {
    const length = b.readUInt32BE(pos);
    pos += 4;
    const chunks: Buffer[] = [];
    for (let got = 0; got < length; ) {
      const n = b.readUInt32BE(pos);
      chunks.push(b.subarray(pos + 4, pos + 4 + n));
      got += rawLength(chunks.at(-1)!);
      pos += 4 + n;
    }
    blocks.push({ length, chunks });
  }
  return blocks;
}
/** The uncompressed length in a raw Snappy block's varint preamble. */
function rawLength(raw: Buffer): number {
  let value = 0;
  for (let i = 0; ; i++) {
    value += (raw[i]! & 0x7f) * 2 ** (7 * i);
    if ((raw[i]! & 0x80) === 0) return value;
  }
}

describe('compress HADOOP_SNAPPY', () => {
  beforeAll(() => ensureOracles(PYTHON_SNAPPY));

  it('should use blocks of 218 422 bytes, the most Hadoop puts in one with its default 256 KiB buffer', () => {
    expect(BLOCK_MAX).toBe(218_422);
  });

  const cases: Record<string, Uint8Array[]> = {
    'one record': [new TextEncoder().encode('{"a":1}\n')],
    'exactly one full block': randomChunks(1, BLOCK_MAX),
    'one byte more than a block': [...randomChunks(1, BLOCK_MAX), new Uint8Array([7])],
    '6 MiB of small JSON records': jsonLines(60_000),
    '6 MiB of incompressible records': randomChunks(3, 2 << 20),
    'a mix, with records straddling block boundaries': [
      ...jsonLines(3000),
      ...randomChunks(2, 333_333),
      new Uint8Array(0),
      ...jsonLines(2000, 4),
    ],
  };
  for (const [label, chunks] of Object.entries(cases)) {
    it(`should be read back by python-snappy's hadoop_snappy: ${label}`, async () => {
      const bytes = await compress('HADOOP_SNAPPY', chunks);
      const expected = concat(chunks);
      expect(pythonUnblock(bytes).equals(expected)).toBe(true);
      expect(Buffer.from(await decompress('HADOOP_SNAPPY', bytes)).equals(expected)).toBe(true);
    });
  }

  it('should write blocks a default-configured Hadoop reader accepts: ≤ 218 422 bytes in, ≤ 256 KiB compressed, one chunk each', async () => {
    const chunks = [...jsonLines(20_000), ...randomChunks(3, 500_000)];
    const bytes = await compress('HADOOP_SNAPPY', chunks);
    const blocks = blocksOf(bytes, rawLength);
    const total = concat(chunks).length;
    expect(blocks).toHaveLength(Math.ceil(total / BLOCK_MAX));
    blocks.forEach((block, i) => {
      expect(block.length).toBe(i < blocks.length - 1 ? BLOCK_MAX : total - BLOCK_MAX * (blocks.length - 1));
      expect(block.chunks).toHaveLength(1);
      expect(rawLength(block.chunks[0]!)).toBe(block.length);
      expect(block.chunks[0]!.length).toBeLessThanOrEqual(262_144); // fits SnappyDecompressor's direct buffer
    });
  });

  it('should write an empty stream as Hadoop does, one block of length 0, which the oracle reads as empty', async () => {
    for (const chunks of [[], [new Uint8Array(0)]]) {
      const bytes = await compress('HADOOP_SNAPPY', chunks);
      expect(Array.from(bytes)).toEqual([0, 0, 0, 0]);
      expect(pythonUnblock(bytes).length).toBe(0);
      expect((await decompress('HADOOP_SNAPPY', bytes)).length).toBe(0);
    }
  });
});

describe('decompress HADOOP_SNAPPY', () => {
  beforeAll(() => ensureOracles(PYTHON_SNAPPY));

  it("should read python-snappy's hadoop_snappy output (256 KiB blocks)", async () => {
    const data = concat([...jsonLines(20_000), ...randomChunks(1, 400_000)]);
    const bytes = python(SNAPPY_PRELUDE + 'import io\nhadoop.stream_compress(io.BytesIO(stdin.read()), stdout)', data);
    expect(blocksOf(bytes, rawLength)[0]!.length).toBe(262_144);
    expect(Buffer.from(await decompress('HADOOP_SNAPPY', bytes)).equals(data)).toBe(true);
  });

  it('should read a block of several compressed chunks, as Hadoop writes one large write(), and an empty file', async () => {
    // BlockCompressorStream.write(b, off, len) with len > MAX_INPUT_SIZE: one block header for all of
    // len, then one [length][raw snappy] chunk per MAX_INPUT_SIZE piece.
    const data = concat(jsonLines(8000));
    const pieces = [data.subarray(0, BLOCK_MAX), data.subarray(BLOCK_MAX, 2 * BLOCK_MAX), data.subarray(2 * BLOCK_MAX)];
    const header = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    const block = Buffer.concat([header(data.length), ...pieces.flatMap((p) => [header(compressSync(p).length), compressSync(p)])]);
    expect(pythonUnblock(block).equals(data)).toBe(true);
    expect(Buffer.from(await decompress('HADOOP_SNAPPY', block)).equals(data)).toBe(true);
    expect((await decompress('HADOOP_SNAPPY', new Uint8Array(0))).length).toBe(0);
  });

  it('should reject truncation, corrupt Snappy data and chunks that overrun their block with a clear error', async () => {
    const bytes = Buffer.from(await compress('HADOOP_SNAPPY', jsonLines(5000)));
    await expect(decompress('HADOOP_SNAPPY', bytes.subarray(0, bytes.length - 1))).rejects.toThrow(
      /^decompress\(HADOOP_SNAPPY\): truncated compressed chunk at byte \d+/,
    );
    await expect(decompress('HADOOP_SNAPPY', bytes.subarray(0, 6))).rejects.toThrow(
      /^decompress\(HADOOP_SNAPPY\): truncated block at byte 0: it announces 218422 bytes, the data ends after 0$/,
    );
    await expect(decompress('HADOOP_SNAPPY', bytes.subarray(0, 2))).rejects.toThrow(
      /^decompress\(HADOOP_SNAPPY\): truncated block header at byte 0/,
    );
    const garbled = Buffer.from(bytes);
    garbled.fill(0xee, 20, 60);
    await expect(decompress('HADOOP_SNAPPY', garbled)).rejects.toThrow(
      /^decompress\(HADOOP_SNAPPY\): compressed chunk at byte 4: corrupt Snappy data/,
    );
    const short = Buffer.from(bytes);
    short.writeUInt32BE(1000, 0); // the block now claims fewer bytes than its chunk holds
    await expect(decompress('HADOOP_SNAPPY', short)).rejects.toThrow(
      /^decompress\(HADOOP_SNAPPY\): compressed chunk at byte 4 holds 218422 bytes, more than the 1000 left in the block at byte 0$/,
    );
    // Framed Snappy is not Hadoop Snappy.
    await expect(decompress('HADOOP_SNAPPY', await compress('Snappy', jsonLines(10)))).rejects.toThrow(/^decompress\(HADOOP_SNAPPY\): /);
  });
});
