import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recyclingFileChunks } from '../../src/cli/recyclingFileChunks.js';

describe('recyclingFileChunks (the CLI reading a file into buffers used again)', () => {
  let dir = '';
  let path = '';
  const content = Buffer.from(Array.from({ length: 100 }, (_, i) => String.fromCharCode(33 + (i % 90))).join(''));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-chunks-'));
    path = join(dir, 'in.txt');
    await writeFile(path, content);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should read the file from its start offset in chunks of the size asked, the last one shorter', async () => {
    for (const [start, size] of [
      [0, 7],
      [13, 16],
      [0, 100],
      [0, 4096],
      [100, 8],
    ] as const) {
      const chunks: Buffer[] = [];
      for await (const chunk of recyclingFileChunks(path, start, size)) chunks.push(Buffer.from(chunk)); // copies: buffers may be reused
      expect(Buffer.concat(chunks).equals(content.subarray(start))).toBe(true);
      expect(chunks.slice(0, -1).every((c) => c.length === size)).toBe(true);
    }
  });

  it('should read into a buffer again only once every line up to its end is settled', async () => {
    const chunks = recyclingFileChunks(path, 0, 10);
    const seen: { chunk: Uint8Array; copy: Buffer }[] = [];
    const intact = (i: number): boolean => Buffer.from(seen[i]!.chunk).equals(seen[i]!.copy);
    for await (const chunk of chunks) {
      seen.push({ chunk, copy: Buffer.from(chunk) });
      if (seen.length === 3) chunks.settledTo(10); // the first chunk (bytes 0–9) ends there
      if (seen.length === 4) chunks.settledTo(19); // not the second: it ends at 20
      if (seen.length === 5) {
        // The second and third chunks, never settled, kept their bytes while two more were read.
        expect([intact(1), intact(2), intact(3), intact(4)]).toEqual([true, true, true, true]);
        chunks.settledTo(100);
      }
    }
    const buffers = seen.map((s) => s.chunk.buffer);
    // Nothing settled while the first three were read: three buffers. Then the first one's again (the only one
    // settled), a fresh one for the fifth, and once everything is settled, only those four.
    expect(new Set(buffers.slice(0, 3)).size).toBe(3);
    expect(buffers[3]).toBe(buffers[0]);
    expect(new Set(buffers.slice(0, 5)).size).toBe(4);
    expect(seen).toHaveLength(10);
    expect(buffers.slice(5).every((b) => buffers.slice(0, 5).includes(b))).toBe(true);
  });

  it('should keep at most twice keepBuffers chunks waiting while nothing settles, letting the oldest go', async () => {
    // 100 chunks of 1 byte, nothing settled for the first 40 (a batch retried while later ones are read): only the
    // last 8 (2 × keepBuffers 4) are still held, so once all is settled only their buffers are read into again.
    const chunks = recyclingFileChunks(path, 0, 1, 4);
    const buffers: ArrayBufferLike[] = [];
    for await (const chunk of chunks) {
      buffers.push(chunk.buffer);
      if (buffers.length === 40) chunks.settledTo(100);
    }
    const reused = new Set(buffers.slice(40));
    expect(reused.size).toBeLessThanOrEqual(8);
    expect(buffers.slice(0, 32).some((b) => reused.has(b))).toBe(false);
    expect(buffers.slice(32, 40).some((b) => reused.has(b))).toBe(true);
  });

  it('should reject with the file system error for a missing file or a directory', async () => {
    const read = async (p: string): Promise<void> => {
      for await (const _ of recyclingFileChunks(p, 0, 10)) void _;
    };
    await expect(read(join(dir, 'missing.txt'))).rejects.toThrow(/ENOENT: no such file or directory, open/);
    await expect(read(dir)).rejects.toThrow(/EISDIR/);
  });
});
