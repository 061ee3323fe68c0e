import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/codecs/compress.js';
import { COMPRESSIONS, type Compression } from '../../src/codecs/compression.js';
import { decompress } from '../../src/codecs/decompress.js';
import { concat } from './data.js';
import { ensureOracles, python, PYTHON_SNAPPY, PYTHON_ZIPFILE, SNAPPY_PRELUDE } from './oracles.js';

/** One record's data: random bytes, or a short random pattern repeated (compressible). */
const record = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2000 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3000 }))
      .map(([pattern, times]) => new Uint8Array(pattern.length * times).map((_, i) => pattern[i % pattern.length]!)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 60_000, max: 240_000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 31 + (i >> 9)) & 0xff)),
  },
);
/** A batch: the records Firehose would concatenate into one object. */
const batch = fc.array(record, { maxLength: 12 });

describe('compress then decompress', () => {
  for (const compression of COMPRESSIONS) {
    it(`should give back the concatenated records: ${compression}`, async () => {
      await fc.assert(
        fc.asyncProperty(batch, fc.integer({ min: 1, max: 9 }), async (chunks, gzipLevel) => {
          const packed = await compress(compression, chunks, { gzipLevel });
          expect(Buffer.from(await decompress(compression, packed)).equals(concat(chunks))).toBe(true);
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('compress, read by the independent implementations', () => {
  beforeAll(() => ensureOracles(PYTHON_SNAPPY, PYTHON_ZIPFILE));

  it('should be read back by python-snappy, Python gzip and zipfile for generated batches', async () => {
    const batches = fc.sample(batch, { numRuns: 30, seed: 20240501 });
    const formats: Compression[] = ['GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'];
    const packed: Array<{ format: Compression; data: string }> = [];
    for (const chunks of batches) {
      for (const format of formats) packed.push({ format, data: Buffer.from(await compress(format, chunks)).toString('base64') });
    }
    // One Python process decodes everything and answers with the decoded bytes, base64.
    const out = python(
      SNAPPY_PRELUDE +
        `
import io, json, base64, gzip, zipfile
def decode(format, data):
    if format == 'GZIP':
        return gzip.decompress(data)
    if format == 'ZIP':
        z = zipfile.ZipFile(io.BytesIO(data))
        assert z.testzip() is None and len(z.infolist()) == 1
        return z.read(z.infolist()[0])
    if format == 'Snappy':
        return feed(snappy.StreamDecompressor(), data)
    return feed(hadoop.StreamDecompressor(), data)
print(json.dumps([base64.b64encode(decode(p['format'], base64.b64decode(p['data']))).decode() for p in json.load(stdin)]))
`,
      Buffer.from(JSON.stringify(packed)),
    );
    const decoded = JSON.parse(out.toString('utf8')) as string[];
    expect(decoded).toHaveLength(packed.length);
    batches.forEach((chunks, b) => {
      const expected = concat(chunks).toString('base64');
      formats.forEach((format, f) => expect(decoded[b * formats.length + f], `batch ${b}, ${format}`).toBe(expected));
    });
  });
});
