import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Fault suite: the main job's output directory on a file system that is full (a 64 KiB tmpfs, mounted by the
// test: it needs root, as the rest of the suite does). A full disk is retried for up to 24 h; the user must
// hear of it while it lasts, and nothing may be lost once there is room again.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('fault suite: a full disk under the main job', () => {
  let dir = '';
  let mounted = false;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    mounted = true;
  });
  afterEach(async () => {
    if (mounted) execFileSync('umount', [dir]);
    mounted = false;
    await rm(dir, { recursive: true, force: true });
  });

  it('should say on stderr, while it happens, that a write failed for lack of space and is retried, then deliver everything once there is room', async () => {
    const records = 3000;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/main.ts'),
        '--records',
        String(records),
        '--out',
        dir,
        '--compression',
        'UNCOMPRESSED',
        '--max-bytes',
        '131072',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('close', done));
    // Wait for the warning (no timer: the test goes on when the job says it), then make room.
    await new Promise<void>((warned, failed) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (/failed \(attempt \d+\): .*ENOSPC.*retrying with backoff for up to 24 h, nothing is dropped/.test(stderr)) warned();
      });
      void exited.then(() => failed(new Error(`the job ended without warning of the full disk:\n${stderr}`)));
    });
    execFileSync('mount', ['-o', 'remount,size=64m', dir]);

    expect(await exited).toBe(0);
    const lines: string[] = [];
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name.startsWith('.') || entry.parentPath.includes('-failed')) continue;
      lines.push(...(await readFile(join(entry.parentPath, entry.name), 'utf8')).split('\n').filter((l) => l !== ''));
    }
    console.log(`full disk: warned while retrying, then delivered ${lines.length} of ${records} records after the disk grew`);
    expect(lines.length).toBe(records);
    expect(new Set(lines).size).toBe(records);
  }, 120_000);
});
