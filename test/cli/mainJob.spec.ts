import { execFileSync, spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The main job's contract with the people and scripts that run it: arguments, exit status, paths, output, checkpoints.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function run(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
      cwd: options.cwd ?? root,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function deliveredLines(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile() || entry.name.startsWith('.') || entry.parentPath.includes('-failed')) continue;
    lines.push(...(await readFile(join(entry.parentPath, entry.name), 'utf8')).split('\n').filter((l) => l !== ''));
  }
  return lines;
}

describe('the main job, as a tool', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-job-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should refuse --records -5, --records 2.5, --rate -1 and --rate 0 clearly, with exit status 2', async () => {
    const runs = await Promise.all(
      [
        ['--records', '-5'],
        ['--records', '2.5'],
        ['--rate', '-1'],
        ['--rate', '0'],
      ].map((a) => run([...a, '--out', join(dir, 'out')])),
    );
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(runs.map((r) => r.stderr.split('\n')[0])).toEqual([
      'rx-firehose: --records must be a whole number ≥ 0; got "-5"',
      'rx-firehose: --records must be a whole number ≥ 0; got "2.5"',
      'rx-firehose: --rate must be a number of records per second > 0; got "-1"',
      'rx-firehose: --rate must be a number of records per second > 0; got "0"',
    ]);
  }, 60_000);

  it('should resolve relative paths from INIT_CWD, be silent with --quiet, and checkpoint a file so a rerun resumes', async () => {
    await writeFile(join(dir, 'events.jsonl'), Array.from({ length: 100 }, (_, i) => `{"i":${i}}\n`).join(''));
    const env = { ...process.env, INIT_CWD: dir };
    const args = ['--input', 'events.jsonl', '--out', 'out', '--compression', 'UNCOMPRESSED', '--quiet'];
    const first = await run(args, { env });
    expect(first).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await deliveredLines(join(dir, 'out'))).toHaveLength(100);
    // The checkpoint sits under INIT_CWD too, at the end of the file.
    const [checkpointFile] = await readdir(join(dir, '.rx-firehose', 'files'));
    expect(checkpointFile).toMatch(/^events\.jsonl-[0-9a-f]{12}\.json$/);
    const saved = JSON.parse(await readFile(join(dir, '.rx-firehose', 'files', checkpointFile!), 'utf8')) as {
      input: string;
      offsetBytes: number;
    };
    expect(saved).toMatchObject({ input: join(dir, 'events.jsonl'), offsetBytes: 100 * 9 - 10 });
    // A rerun delivers nothing again; lines appended since are delivered, once.
    await appendFile(join(dir, 'events.jsonl'), '{"i":100}\n{"i":101}\n');
    const second = await run(
      args.filter((a) => a !== '--quiet'),
      { env },
    );
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`resuming ${join(dir, 'events.jsonl')} at byte 890`);
    expect(second.stderr).toMatch(/done: 2 records/);
    const lines = await deliveredLines(join(dir, 'out'));
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: 102 }, (_, i) => i));
    // --from-start reads it all again.
    const third = await run([...args, '--from-start'], { env });
    expect(third.code).toBe(0);
    expect(await deliveredLines(join(dir, 'out'))).toHaveLength(204);
  }, 90_000);

  it('should exit with status 3 when records went to the error output, and say where', async () => {
    await writeFile(join(dir, 'in.jsonl'), `{"ok":1}\n{"long":"${'x'.repeat(300)}"}\n{"ok":2}\n`);
    const result = await run(
      ['--input', join(dir, 'in.jsonl'), '--out', join(dir, 'out'), '--max-record-bytes', '100', '--compression', 'UNCOMPRESSED'],
      { env: { ...process.env, INIT_CWD: dir } }, // its checkpoint goes under dir, not the checkout
    );
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `rx-firehose: 1 records went to the error output (failure records under ${join(dir, 'out')}); exit status 3`,
    );
    expect(await deliveredLines(join(dir, 'out'))).toEqual(['{"ok":1}', '{"ok":2}']);
    const failures = (await readdir(join(dir, 'out'), { recursive: true })).filter(
      (f) => f.startsWith('processing-failed/') && !f.endsWith('/'),
    );
    expect(failures.length).toBeGreaterThan(0);
  }, 60_000);

  it('should send a batch that cannot be written to the error output at once, counting the lines of its runs', async () => {
    await writeFile(join(dir, 'three.jsonl'), '{"a":1}\n{"a":2}\n{"a":3}\n');
    // Objects go under <out>/<year>/…: a file in its place makes every batch write fail for good (ENOTDIR),
    // while the error output (<out>/Directory-failed/…) works. This year's and the next, should the clock turn.
    const out = join(dir, 'out');
    const year = new Date().getUTCFullYear();
    await mkdir(out);
    for (const y of [year, year + 1]) await writeFile(join(out, String(y)), '');
    const result = await run(['--input', join(dir, 'three.jsonl'), '--out', out, '--compression', 'UNCOMPRESSED'], {
      env: { ...process.env, INIT_CWD: dir },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('ENOTDIR');
    expect(result.stderr).toContain('retrying cannot help: its records go to the error output');
    expect(result.stderr).not.toContain('retrying with backoff');
    // The three lines were one record (a run): one failure record holding them, counted as three lines.
    expect(result.stderr).toContain(`rx-firehose: 3 records went to the error output (failure records under ${out}); exit status 3`);
    const failed = (await readdir(join(out, 'Directory-failed'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const failures = (await readFile(join(failed[0]!.parentPath, failed[0]!.name), 'utf8')).trim().split('\n');
    expect(failures).toHaveLength(1);
    expect(Buffer.from((JSON.parse(failures[0]!) as { rawData: string }).rawData, 'base64').toString()).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
  }, 60_000);

  it('should bound records in flight with --max-in-flight-records: a full budget flushes the batch it fills', async () => {
    await writeFile(join(dir, 'ten.jsonl'), Array.from({ length: 10 }, (_, i) => `{"n":${i}}\n`).join(''));
    // A record per line (by default the ten lines, read at once, would be one aggregated record: see below).
    const args = ['--input', join(dir, 'ten.jsonl'), '--compression', 'UNCOMPRESSED', '--quiet', '--aggregated-record-bytes', '0'];
    const env = { env: { ...process.env, INIT_CWD: dir } };
    // Three records in flight at most: every batch holds all of them when the third arrives, and goes out.
    const bounded = await run([...args, '--out', join(dir, 'bounded'), '--max-in-flight-records', '3'], env);
    expect(bounded.code).toBe(0);
    const files = (await readdir(join(dir, 'bounded'), { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    expect(files).toHaveLength(4);
    expect(await deliveredLines(join(dir, 'bounded'))).toHaveLength(10);
    // Without it, the whole file is one batch (a rerun reads from the start: its own output directory, --from-start).
    const whole = await run([...args, '--out', join(dir, 'whole'), '--from-start'], env);
    expect(whole.code).toBe(0);
    expect((await readdir(join(dir, 'whole'), { recursive: true, withFileTypes: true })).filter((f) => f.isFile())).toHaveLength(1);
    const refused = await run([...args, '--out', join(dir, 'refused'), '--max-in-flight-records', '0'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('maxInFlightRecords must be an integer ≥ 1; got 0');
  }, 90_000);

  it('should aggregate lines into records of up to 64 KiB by default: the same lines delivered, counted as lines', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(i % 90)}"}`);
    await writeFile(join(dir, 'in.jsonl'), `${lines.slice(0, 10).join('\n')}\n\n${lines.slice(10).join('\n')}\n`);
    const env = { env: { ...process.env, INIT_CWD: dir } };
    const args = ['--input', join(dir, 'in.jsonl'), '--compression', 'UNCOMPRESSED', '--from-start', '--max-bytes', '262144'];
    const aggregated = await run([...args, '--out', join(dir, 'aggregated'), '--max-in-flight-records', '3'], env);
    const perLine = await run([...args, '--out', join(dir, 'per-line'), '--aggregated-record-bytes', '0'], env);
    for (const { code, stdout, stderr } of [aggregated, perLine]) {
      expect(code).toBe(0);
      expect(stderr).toMatch(/done: 20000 records, /);
      // A line per file, each counting the lines it holds.
      const counted = [...stdout.matchAll(/^delivered +(\d+) records/gm)].map((m) => Number(m[1]));
      expect(counted.reduce((a, b) => a + b, 0)).toBe(20_000);
    }
    expect((await deliveredLines(join(dir, 'aggregated'))).sort()).toEqual([...lines].sort());
    expect((await deliveredLines(join(dir, 'per-line'))).sort()).toEqual([...lines].sort());
    // Three records in flight carry 20,000 lines (1.3 MB) in a few dozen files only as runs (of up to 16 KiB, a
    // sixteenth of --max-bytes): a record per line would send 3 lines per file, 6,667 files.
    expect([...aggregated.stdout.matchAll(/^delivered/gm)].length).toBeLessThan(100);
    const refused = await run([...args, '--out', join(dir, 'refused'), '--aggregated-record-bytes', '2000000'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'aggregatedRecordSizeBytes must be an integer from 0 to maxRecordBytes (1024000) (bytes); got 2000000',
    );
  }, 90_000);

  it('should deliver a file of many read chunks intact while it reads into their buffers again', async () => {
    // 22 MiB: 23 read chunks of 1 MiB through 6 MiB in flight, so a buffer is read into again while later batches
    // still compress; one read into too early would put later lines in place of earlier ones.
    const lines = Array.from({ length: 200_000 }, (_, i) => `{"n":${i},"pad":"${'y'.repeat(60 + (i % 70))}"}`);
    await writeFile(join(dir, 'in.jsonl'), `${lines.join('\n')}\n`);
    const result = await run(['--input', join(dir, 'in.jsonl'), '--out', join(dir, 'out'), '--from-start'], {
      env: { ...process.env, INIT_CWD: dir }, // its checkpoint goes under dir, not the checkout
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/done: 200000 records, 22\.1 MiB in \d+ files/);
    const delivered: string[] = [];
    for (const entry of await readdir(join(dir, 'out'), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.gz')) {
        delivered.push(
          ...gunzipSync(await readFile(join(entry.parentPath, entry.name)))
            .toString('utf8')
            .split('\n')
            .filter((l) => l !== ''),
        );
      }
    }
    expect(delivered.length).toBe(lines.length);
    expect(delivered.sort()).toEqual(lines.sort());
  }, 90_000);

  it('should read a pipe (a FIFO, as from --input <(zcat f.gz)) as it comes, once, without a checkpoint', async () => {
    const fifo = join(dir, 'events.fifo');
    execFileSync('mkfifo', [fifo]);
    const lines = Array.from({ length: 30_000 }, (_, i) => `{"n":${i},"pad":"${'z'.repeat(i % 80)}"}`);
    const running = run(['--input', fifo, '--out', join(dir, 'out'), '--compression', 'UNCOMPRESSED'], {
      env: { ...process.env, INIT_CWD: dir },
    });
    await writeFile(fifo, `${lines.join('\n')}\n`); // opening it waits for the job to open it for reading
    const result = await running;
    expect(result.stderr).not.toContain('ESPIPE');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/done: 30000 records/);
    expect((await deliveredLines(join(dir, 'out'))).sort()).toEqual([...lines].sort());
    // No offset in a pipe means anything on the next run: nothing saved.
    await expect(readdir(join(dir, '.rx-firehose'))).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('should stop at once with status 1 on an unusable output path (under /proc), not retry for ever', async () => {
    const result = await run(['--records', '10', '--out', '/proc/rx-firehose-test/out']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Directory.ENOENT');
  }, 60_000);

  it('should drain when npm start itself gets SIGTERM: the job hears it, delivers what it read, and nothing is orphaned', async () => {
    const out = join(dir, 'out');
    // Bounded even if orphaned: 200,000 records at 20,000/s end within 10 s.
    const npm = spawn('npm', ['start', '--silent', '--', '--records', '200000', '--rate', '20000', '--max-ms', '200', '--out', out], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    npm.stderr.on('data', (d: Buffer) => (stderr += d));
    const firstBatch = new Promise<void>((resolve) =>
      npm.stdout.on('data', (d: Buffer) => {
        stdout += d;
        if (/^delivered/m.test(stdout)) resolve();
      }),
    );
    // The pipes close once every process holding them (npm and the job) has exited.
    const closed = new Promise<void>((resolve) => npm.stdout.on('close', () => resolve()));
    await firstBatch;
    npm.kill('SIGTERM');
    await closed;
    expect(stderr).toMatch(/SIGTERM: stopped reading, draining/);
    const reported = Number(/done: (\d+) records/.exec(stderr)?.[1]);
    expect(reported).toBeGreaterThan(0);
    expect(reported).toBeLessThan(200_000);
  }, 90_000);
});
