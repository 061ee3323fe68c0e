import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The main job, run as a user runs it (`npm start` is `node --import tsx src/cli/main.ts`), in a child process.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  input?: string,
  keepStdinOpen = false,
  env: NodeJS.ProcessEnv = process.env,
): {
  done: Promise<Run>;
  kill: (signal: NodeJS.Signals) => void;
  stderrSoFar: () => string;
  printed: (pattern: RegExp) => Promise<void>;
  pid: number;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
  });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const check = (): void => {
    for (const w of [...watchers]) {
      if (w.pattern.test(stdout)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    check();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  if (input !== undefined && keepStdinOpen) child.stdin.write(input);
  else if (input !== undefined) child.stdin.end(input);
  const done = new Promise<Run>((resolveRun) => child.on('close', (code) => resolveRun({ code, stdout, stderr })));
  // Resolves once standard output matches `pattern` (a line per batch, so a test can act mid-stream).
  const printed = (pattern: RegExp): Promise<void> =>
    new Promise((resolvePrinted) => {
      watchers.push({ pattern, resolve: resolvePrinted });
      check();
    });
  return { done, kill: (signal) => child.kill(signal), stderrSoFar: () => stderr, printed, pid: child.pid! };
}

async function deliveredLines(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    expect(entry.name.endsWith('.gz')).toBe(true); // never a temporary file
    lines.push(
      ...gunzipSync(await readFile(join(entry.parentPath, entry.name)))
        .toString()
        .split('\n')
        .filter((l) => l !== ''),
    );
  }
  return lines;
}

describe('the main job (npm start)', () => {
  let out = '';
  beforeEach(async () => {
    out = await mkdtemp(join(tmpdir(), 'rx-firehose-cli-'));
  });
  afterEach(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('should deliver every generated record as gzip files in the Firehose layout, and say so', async () => {
    const { done } = start(['--records', '30000', '--max-bytes', '262144', '--out', out]);
    const run = await done;
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/done: 30000 records, .* in \d+ files/);
    const lines = await deliveredLines(out);
    expect(lines).toHaveLength(30000);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { id: number }).id)).size).toBe(30000);
    const files = await readdir(out, { recursive: true });
    expect(
      files.some((f) => /^\d{4}\/\d{2}\/\d{2}\/\d{2}\/rx-firehose-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/.test(f)),
    ).toBe(true);
  }, 60_000);

  it('should read records from standard input with --input -', async () => {
    const input = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i })).join('\n');
    const run = await start(['--input', '-', '--out', out, '--stream', 'piped'], input).done;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^delivered +500 records/m);
    expect((await deliveredLines(out)).map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  }, 60_000);

  it('should fill batches of --max-bytes larger than 1 MiB: its budget covers two of them', async () => {
    // 4 MiB batches of these 85-byte lines are about 50,000 records: more than fromLines' default of 16,384
    // in flight, with which every batch went out at 1.3 MiB, when reading waited.
    const input = Array.from({ length: 110_000 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(70 - String(i).length) })).join('\n');
    const run = await start(['--input', '-', '--out', out, '--max-bytes', String(4 << 20), '--quiet'], input).done;
    expect(run.code).toBe(0);
    const sizes: number[] = [];
    for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) sizes.push(gunzipSync(await readFile(join(entry.parentPath, entry.name))).byteLength);
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(input.length + 1);
    expect(sizes.length).toBeLessThanOrEqual(3);
    // All but the smallest (the rest at the end) are full, or nearly: three quarters goes out when the budget fills.
    for (const size of sizes.sort((a, b) => b - a).slice(0, -1)) expect(size).toBeGreaterThanOrEqual(3 << 20);
  }, 60_000);

  it('should drain on SIGTERM: stop reading, deliver everything it read, and exit 0', async () => {
    const run = start(['--records', '100000000', '--rate', '50000', '--max-ms', '200', '--out', out]);
    await run.printed(/^delivered/m); // mid-stream
    run.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/SIGTERM: stopped reading, draining/);
    const reported = Number(/done: (\d+) records/.exec(result.stderr)![1]);
    expect(reported).toBeGreaterThan(0);
    expect(reported).toBeLessThan(100_000_000);
    const lines = await deliveredLines(out);
    expect(lines).toHaveLength(reported);
    // Read in order and delivered whole: ids 0 … n−1, each once.
    const ids = lines.map((l) => (JSON.parse(l) as { id: number }).id).sort((a, b) => a - b);
    expect(ids[0]).toBe(0);
    expect(ids[ids.length - 1]).toBe(reported - 1);
    expect(new Set(ids).size).toBe(reported);
  }, 60_000);

  it('should drain on SIGTERM while stdin is open and idle', async () => {
    const input = Array.from({ length: 10 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n';
    const run = start(['--input', '-', '--out', out, '--max-ms', '100'], input, true);
    await run.printed(/^delivered +10 records/m); // everything read; stdin stays open and idle
    run.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/done: 10 records/);
    expect(await deliveredLines(out)).toHaveLength(10);
  }, 60_000);

  it('should refuse a bad option with a message naming it, and exit 2', async () => {
    const run = await start(['--max-bytes', '0', '--out', out]).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('rx-firehose: bufferBySizeOrTime: maxBytes must be a finite number > 0 (bytes); got 0');
    const unknown = await start(['--nope']).done;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--nope'/);
  }, 60_000);
});
