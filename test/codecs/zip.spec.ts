import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/codecs/compress.js';
import { decompress } from '../../src/codecs/decompress.js';
import { InvalidOptionError } from '../../src/errors/InvalidOptionError.js';
import { concat, jsonLines, randomChunks } from './data.js';
import { ensureOracles, python, PYTHON_ZIPFILE, run, UNZIP } from './oracles.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface ZipInfo {
  readonly testzip: string | null;
  readonly entries: Array<{
    filename: string;
    compress_type: number;
    CRC: number;
    file_size: number;
    date_time: number[];
    flag_bits: number;
    create_system: number;
    mode: number;
    sha256: string;
  }>;
}

/** What Python's zipfile makes of an archive: testzip() (CRC check of every entry) and each entry. */
function pythonZipInfo(archive: Uint8Array): ZipInfo {
  const out = python(
    `
import sys, io, json, zipfile, hashlib
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
entries = [dict(filename=i.filename, compress_type=i.compress_type, CRC=i.CRC, file_size=i.file_size,
                date_time=list(i.date_time), flag_bits=i.flag_bits, create_system=i.create_system,
                mode=i.external_attr >> 16, sha256=hashlib.sha256(z.read(i)).hexdigest()) for i in z.infolist()]
print(json.dumps(dict(testzip=z.testzip(), entries=entries)))
`,
    archive,
  );
  return JSON.parse(out.toString('utf8')) as ZipInfo;
}

describe('compress ZIP', () => {
  let dir = '';
  beforeAll(() => {
    ensureOracles(UNZIP, PYTHON_ZIPFILE);
    dir = mkdtempSync(join(tmpdir(), 'rx-firehose-zip-'));
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** Checks `archive` with unzip -tq, unzip -p and Python's zipfile; returns zipfile's view of its entry. */
  function checkWithOracles(archive: Uint8Array, expected: Uint8Array, name: string): ZipInfo['entries'][number] {
    const file = join(dir, `t-${Math.random().toString(36).slice(2)}.zip`);
    writeFileSync(file, archive);
    expect(run('unzip', ['-tq', file]).toString('utf8')).toMatch(/^No errors detected/);
    expect(run('unzip', ['-p', file]).equals(Buffer.from(expected))).toBe(true);
    const info = pythonZipInfo(archive);
    expect(info.testzip).toBeNull(); // no entry failed its CRC
    expect(info.entries).toHaveLength(1);
    const entry = info.entries[0]!;
    expect(entry.filename).toBe(name);
    expect(entry.sha256).toBe(sha256(expected));
    expect(entry.file_size).toBe(expected.length);
    return entry;
  }

  const cases: Record<string, Uint8Array[]> = {
    'empty input': [],
    'one record': [new TextEncoder().encode('{"a":1}\n')],
    '30 000 small JSON records': jsonLines(30_000),
    'incompressible records': randomChunks(4, 300_000),
  };
  for (const [label, chunks] of Object.entries(cases)) {
    it(`should be read by unzip and by Python's zipfile, one deflated entry named "data": ${label}`, async () => {
      const archive = await compress('ZIP', chunks);
      const entry = checkWithOracles(archive, concat(chunks), 'data');
      expect(entry.compress_type).toBe(8); // deflate
      expect(entry.date_time).toEqual([1980, 1, 1, 0, 0, 0]);
      expect(entry.create_system).toBe(3); // UNIX, so the mode is meaningful
      expect(entry.mode).toBe(0o100644);
      expect(Buffer.from(await decompress('ZIP', archive)).equals(concat(chunks))).toBe(true);
    });
  }

  it('should name the entry zipEntryName, flagging a non-ASCII name as UTF-8', async () => {
    const chunks = jsonLines(100);
    expect(
      checkWithOracles(await compress('ZIP', chunks, { zipEntryName: 'batch-0001.json' }), concat(chunks), 'batch-0001.json').flag_bits &
        0x800,
    ).toBe(0);
    expect(
      checkWithOracles(await compress('ZIP', chunks, { zipEntryName: 'données/été.json' }), concat(chunks), 'données/été.json').flag_bits &
        0x800,
    ).toBe(0x800);
  });

  it('should deflate at gzipLevel and be the same output for the same input', async () => {
    const chunks = jsonLines(5000);
    const fast = await compress('ZIP', chunks, { gzipLevel: 1 });
    const best = await compress('ZIP', chunks, { gzipLevel: 9 });
    expect(fast.length).toBeGreaterThan(best.length);
    checkWithOracles(fast, concat(chunks), 'data');
    checkWithOracles(best, concat(chunks), 'data');
    expect(Buffer.from(await compress('ZIP', chunks)).equals(Buffer.from(await compress('ZIP', chunks)))).toBe(true);
  });

  it('should refuse an empty or oversized zipEntryName', async () => {
    await expect(compress('ZIP', [], { zipEntryName: '' })).rejects.toThrow(InvalidOptionError);
    await expect(compress('ZIP', [], { zipEntryName: 'x'.repeat(65_536) })).rejects.toThrow(/zipEntryName must be a non-empty string/);
  });
});

describe('decompress ZIP', () => {
  beforeAll(() => ensureOracles(PYTHON_ZIPFILE));

  /** An archive written by Python's zipfile with one entry, deflated or stored. */
  function pythonZip(data: Uint8Array, method: 'ZIP_DEFLATED' | 'ZIP_STORED', names = ['x.json']): Buffer {
    return python(
      `
import sys, io, zipfile
data = sys.stdin.buffer.read()
out = io.BytesIO()
with zipfile.ZipFile(out, 'w', zipfile.${method}) as z:
    for name in ${JSON.stringify(names)}:
        z.writestr(name, data)
sys.stdout.buffer.write(out.getvalue())
`,
      data,
    );
  }

  it("should read deflated and stored entries written by Python's zipfile", async () => {
    const data = concat([...jsonLines(2000), ...randomChunks(1, 150_000)]); // stored: > 2 stored deflate blocks
    for (const method of ['ZIP_DEFLATED', 'ZIP_STORED'] as const) {
      expect(Buffer.from(await decompress('ZIP', pythonZip(data, method))).equals(data), method).toBe(true);
      expect((await decompress('ZIP', pythonZip(new Uint8Array(0), method))).length, `${method}, empty`).toBe(0);
    }
  });

  it('should reject a corrupted CRC, corrupted data, truncation and more than one entry with a clear error', async () => {
    const data = concat(jsonLines(2000));
    const archive = Buffer.from(await compress('ZIP', [data]));
    // The CRC-32 in the central directory (which is what readers trust): 16 bytes into its header.
    const cd = archive.readUInt32LE(archive.length - 22 + 16);
    const badCrc = Buffer.from(archive);
    badCrc[cd + 16]! ^= 0x01;
    await expect(decompress('ZIP', badCrc)).rejects.toThrow(/^decompress\(ZIP\): entry "data": CRC-32 mismatch .*the data is corrupt/);

    const stored = Buffer.from(pythonZip(data, 'ZIP_STORED'));
    const flipped = Buffer.from(stored);
    flipped[100]! ^= 0x01; // a data byte of the stored entry
    await expect(decompress('ZIP', flipped)).rejects.toThrow(/^decompress\(ZIP\): entry "x.json": CRC-32 mismatch/);

    const badData = Buffer.from(archive);
    badData[200]! ^= 0xff;
    await expect(decompress('ZIP', badData)).rejects.toThrow(/^decompress\(ZIP\): entry "data": /);

    await expect(decompress('ZIP', archive.subarray(0, archive.length - 30))).rejects.toThrow(
      /^decompress\(ZIP\): no end of central directory record/,
    );
    await expect(decompress('ZIP', new Uint8Array(0))).rejects.toThrow(/^decompress\(ZIP\): no end of central directory record/);
    await expect(decompress('ZIP', pythonZip(data, 'ZIP_DEFLATED', ['a', 'b']))).rejects.toThrow(
      /^decompress\(ZIP\): expected exactly one entry, as Firehose writes; found 2/,
    );
  });
});
