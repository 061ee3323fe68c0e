import { Decompressor } from 'snappy';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/codecs/compress.js';
import { crc32c } from '../../src/codecs/crc32c.js';
import { decompress } from '../../src/codecs/decompress.js';
import { concat, jsonLines, randomChunks, sizeOf } from './data.js';
import { ensureOracles, python, PYTHON_SNAPPY, SNAPPY_PRELUDE } from './oracles.js';

const IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);

/** python-snappy's framing decoder (C++ libsnappy, crcmod CRC-32C). */
const pythonUnframe = (framed: Uint8Array): Buffer =>
  python(SNAPPY_PRELUDE + 'stdout.write(feed(snappy.StreamDecompressor(), stdin.read()))', framed);

/** The Rust `snap` crate's FrameDecoder, as the `snappy` package exposes it. */
async function rustUnframe(framed: Uint8Array): Promise<Buffer> {
  const decoder = new Decompressor();
  const parts: Buffer[] = [];
  for (let i = 0; i < framed.length; i += 100_000) parts.push(decoder.update(framed.subarray(i, i + 100_000)));
  parts.push(await decoder.finish());
  return Buffer.concat(parts);
}

interface Chunk {
  readonly type: number;
  readonly offset: number;
  readonly body: Buffer;
}
/** The chunks of a framed stream, parsed by the spec's plain rules. */
function chunksOf(framed: Uint8Array): Chunk[] {
  const bytes = Buffer.from(framed);
  const chunks: Chunk[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const length = bytes.readUIntLE(pos + 1, 3);
    chunks.push({ type: bytes[pos]!, offset: pos, body: bytes.subarray(pos + 4, pos + 4 + length) });
    pos += 4 + length;
  }
  return chunks;
}

const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

describe('compress Snappy (framing format)', () => {
  beforeAll(() => ensureOracles(PYTHON_SNAPPY));

  const cases: Record<string, Uint8Array[]> = {
    'one record': [new TextEncoder().encode('{"a":1}\n')],
    'exactly 65 536 bytes': randomChunks(1, 65_536),
    '65 537 bytes (two chunks)': [...randomChunks(1, 65_536), new Uint8Array([42])],
    '6 MiB of small JSON records (compressible, windows across records)': jsonLines(60_000),
    '6 MiB of incompressible records (uncompressed chunks)': randomChunks(6, 1 << 20),
    'a mix, with records straddling chunk boundaries': [
      ...jsonLines(700),
      ...randomChunks(3, 100_001),
      new Uint8Array(0),
      ...jsonLines(3000, 5),
    ],
  };

  for (const [label, chunks] of Object.entries(cases)) {
    it(`should be read back by python-snappy and by the snap crate: ${label}`, async () => {
      const framed = await compress('Snappy', chunks);
      const expected = concat(chunks);
      expect(pythonUnframe(framed).equals(expected)).toBe(true);
      expect((await rustUnframe(framed)).equals(expected)).toBe(true);
      expect(Buffer.from(await decompress('Snappy', framed)).equals(expected)).toBe(true);
    });
  }

  it('should start with the stream identifier and cut the data into CRC-checked chunks of at most 65 536 bytes', async () => {
    const text = jsonLines(30_000);
    const noise = randomChunks(2, 200_000);
    const framed = await compress('Snappy', [...text, ...noise]);
    expect(Buffer.from(framed.subarray(0, 10)).equals(IDENTIFIER)).toBe(true);
    const chunks = chunksOf(framed).slice(1);
    const raw = pythonRaw(chunks.filter((c) => c.type === 0x00).map((c) => c.body.subarray(4)));
    const plain = concat([...text, ...noise]);
    let at = 0;
    const types: number[] = [];
    for (const chunk of chunks) {
      types.push(chunk.type);
      expect([0x00, 0x01]).toContain(chunk.type);
      const data = chunk.type === 0x01 ? chunk.body.subarray(4) : raw.shift()!;
      expect(data.length).toBeLessThanOrEqual(65_536);
      // Every chunk but the last is full: the stream is cut at fixed 64 KiB boundaries.
      if (chunk !== chunks.at(-1)) expect(data.length).toBe(65_536);
      expect(data.equals(plain.subarray(at, at + data.length))).toBe(true);
      expect(chunk.body.readUInt32LE(0)).toBe(mask(crc32c(data)));
      at += data.length;
    }
    expect(at).toBe(plain.length);
    const textChunks = Math.floor(sizeOf(text) / 65_536);
    expect(types.slice(0, textChunks).every((t) => t === 0x00)).toBe(true); // text compresses
    expect(types.slice(textChunks + 1).every((t) => t === 0x01)).toBe(true); // noise is stored as is
  });

  /** Raw Snappy blocks decompressed by libsnappy (through python-snappy), all in one process. */
  function pythonRaw(blocks: readonly Uint8Array[]): Buffer[] {
    const out = python(
      SNAPPY_PRELUDE +
        `
import json, base64
print(json.dumps([base64.b64encode(snappy.uncompress(base64.b64decode(b))).decode() for b in json.load(stdin)]))
`,
      Buffer.from(JSON.stringify(blocks.map((b) => Buffer.from(b).toString('base64')))),
    );
    return (JSON.parse(out.toString('utf8')) as string[]).map((b) => Buffer.from(b, 'base64'));
  }

  it('should write just the stream identifier for empty input, which the oracles read as empty', async () => {
    for (const chunks of [[], [new Uint8Array(0), new Uint8Array(0)]]) {
      const framed = await compress('Snappy', chunks);
      expect(Buffer.from(framed).equals(IDENTIFIER)).toBe(true);
      expect(pythonUnframe(framed).length).toBe(0);
      expect((await rustUnframe(framed)).length).toBe(0);
      expect((await decompress('Snappy', framed)).length).toBe(0);
    }
  });
});

describe('decompress Snappy (framing format)', () => {
  beforeAll(() => ensureOracles(PYTHON_SNAPPY));

  it("should read python-snappy's framed output, compressed and uncompressed chunks alike", async () => {
    const data = concat([...jsonLines(20_000), ...randomChunks(1, 300_000)]);
    const framed = python(
      SNAPPY_PRELUDE +
        `
data = stdin.read()
c = snappy.StreamCompressor()
stdout.write(b''.join(c.add_chunk(data[i:i + 65536]) for i in range(0, len(data), 65536)))
`,
      data,
    );
    const types = new Set(chunksOf(framed).map((c) => c.type));
    expect(types).toEqual(new Set([0xff, 0x00, 0x01]));
    expect(Buffer.from(await decompress('Snappy', framed)).equals(data)).toBe(true);
  });

  it('should skip padding and reserved skippable chunks, and repeated stream identifiers', async () => {
    const a = await compress('Snappy', jsonLines(100));
    const b = await compress('Snappy', jsonLines(50, 2));
    const padding = Buffer.from([0xfe, 3, 0, 0, 0, 0, 0]);
    const skippable = Buffer.from([0x80, 2, 0, 0, 9, 9]);
    const stream = Buffer.concat([a, padding, skippable, b]); // b starts with another identifier
    const expected = concat([...jsonLines(100), ...jsonLines(50, 2)]);
    expect(Buffer.from(await decompress('Snappy', stream)).equals(expected)).toBe(true);
    expect((await rustUnframe(stream)).equals(expected)).toBe(true);
    expect(pythonUnframe(stream).equals(expected)).toBe(true);
  });

  it('should reject a corrupted CRC with an error naming the chunk and both checksums', async () => {
    const framed = Buffer.from(await compress('Snappy', jsonLines(2000)));
    const second = chunksOf(framed)[2]!;
    const bad = Buffer.from(framed);
    bad[second.offset + 4]! ^= 0x01; // lowest byte of its stored CRC
    await expect(decompress('Snappy', bad)).rejects.toThrow(
      new RegExp(
        `^decompress\\(Snappy\\): CRC-32C mismatch in the compressed chunk at byte ${second.offset}: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8} \\(masked\\); the data is corrupt$`,
      ),
    );
    // And in the data of an uncompressed chunk.
    const raw = Buffer.from(await compress('Snappy', randomChunks(1, 100_000)));
    raw[10 + 8 + 500]! ^= 0x80;
    await expect(decompress('Snappy', raw)).rejects.toThrow(
      /^decompress\(Snappy\): CRC-32C mismatch in the uncompressed chunk at byte 10: /,
    );
    // The oracle agrees that these are corrupt.
    expect(() => pythonUnframe(bad)).toThrow(/crc mismatch/);
  });

  it('should reject corrupt Snappy data, truncation, a missing identifier and reserved chunk types', async () => {
    const framed = Buffer.from(await compress('Snappy', jsonLines(2000)));
    const first = chunksOf(framed)[1]!;
    const garbled = Buffer.from(framed);
    garbled.fill(0xff, first.offset + 8 + 3, first.offset + 8 + 40); // inside the compressed bytes
    await expect(decompress('Snappy', garbled)).rejects.toThrow(
      /^decompress\(Snappy\): (compressed chunk at byte 10: corrupt Snappy data|CRC-32C mismatch)/,
    );
    await expect(decompress('Snappy', framed.subarray(0, framed.length - 1))).rejects.toThrow(
      /^decompress\(Snappy\): truncated chunk at byte \d+/,
    );
    await expect(decompress('Snappy', framed.subarray(10))).rejects.toThrow(/^decompress\(Snappy\): no stream identifier/);
    await expect(decompress('Snappy', new Uint8Array(0))).rejects.toThrow(/^decompress\(Snappy\): empty input/);
    const reserved = Buffer.concat([IDENTIFIER, Buffer.from([0x05, 1, 0, 0, 0])]);
    await expect(decompress('Snappy', reserved)).rejects.toThrow(/^decompress\(Snappy\): reserved unskippable chunk type 0x05 at byte 10$/);
    const badIdentifier = Buffer.from(framed);
    badIdentifier[5] = 0x6e; // 'snaPpY'
    await expect(decompress('Snappy', badIdentifier)).rejects.toThrow(/^decompress\(Snappy\): invalid stream identifier chunk at byte 0$/);
  });
});
