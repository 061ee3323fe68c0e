import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Fault suite: the CLI killed with SIGKILL again and again while it delivers a file, then run to the end.
// Bounded: 20,000 lines, 5 kills, small batches, on the local file system only.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const LINES = 20_000;
const KILLS = 5;
const IN_FLIGHT_BYTES = 32_768;

/** Runs the CLI; with `killAfterBatches`, SIGKILLs it once it has printed that many delivered batches. */
function runCli(
  args: string[],
  killAfterBatches?: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; batches: number }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let batches = 0;
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      batches += lines.filter((l) => l.startsWith('delivered')).length;
      if (killAfterBatches !== undefined && batches >= killAfterBatches) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => done({ code, signal, batches }));
  });
}

describe('fault suite: SIGKILL loop on the CLI with a file checkpoint', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-kill-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`should lose nothing across ${KILLS} kills and repeat at most the in-flight budget per kill`, async () => {
    const input = join(dir, 'events.jsonl');
    const lines = Array.from({ length: LINES }, (_, i) => `{"id":${i},"pad":"${'p'.repeat(i % 50)}"}`);
    await writeFile(input, lines.map((l) => `${l}\n`).join(''));
    const out = join(dir, 'out');
    const args = [
      '--input',
      input,
      '--out',
      out,
      '--checkpoint-dir',
      join(dir, 'checkpoints'),
      '--compression',
      'UNCOMPRESSED',
      '--max-bytes',
      '8192',
      '--max-ms',
      '20',
      '--concurrency',
      '2',
      '--max-in-flight-bytes',
      String(IN_FLIGHT_BYTES),
    ];
    let killed = 0;
    for (let k = 0; k < KILLS; k++) {
      const result = await runCli(args, 2 + 3 * k);
      if (result.signal === 'SIGKILL') killed++;
      else expect(result.code).toBe(0); // finished before the kill landed
    }
    const last = await runCli(args);
    expect(last.code).toBe(0);

    const files = (await readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const delivered: string[] = [];
    for (const f of files.filter((e) => !e.name.startsWith('.')))
      delivered.push(...(await readFile(join(f.parentPath, f.name), 'utf8')).split('\n').filter((l) => l !== ''));
    const counts = new Map<string, number>();
    for (const l of delivered) counts.set(l, (counts.get(l) ?? 0) + 1);
    const lost = lines.filter((l) => !counts.has(l)).length;
    const duplicateBytes = [...counts].reduce((sum, [l, n]) => sum + (n - 1) * (l.length + 1), 0);
    const leftoverTemps = files.filter((e) => e.name.endsWith('.tmp')).length;
    console.log(
      `SIGKILL loop: ${killed} kills, ${LINES} lines, ${delivered.length} delivered, ${lost} lost, ${delivered.length - LINES + lost} duplicates (${duplicateBytes} bytes, budget ${killed} × ${IN_FLIGHT_BYTES}), ${leftoverTemps} temp files left`,
    );
    expect(lost).toBe(0);
    expect(killed).toBeGreaterThan(0);
    // Per kill, at most what was in flight (plus the one record read past the budget: a run of lines, which the
    // CLI makes at most a sixteenth of --max-bytes, 512 bytes here) is delivered again.
    expect(duplicateBytes).toBeLessThanOrEqual(killed * (IN_FLIGHT_BYTES + 8192 / 16));
    expect(leftoverTemps).toBe(0); // dead writers' temp files were deleted by the next run
  }, 240_000);
});
