import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openSync, closeSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall } from '../test/support/aptInstall.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MIB = 1_048_576;
/** The issue's input: about 300 MiB of JSON log lines (BENCH_INPUT_MIB to change it). */
const INPUT_MIB = Number(process.env['BENCH_INPUT_MIB'] ?? 300);
/** The slow destination streams less: at 250 ms a batch it runs at 4 batches/s per concurrent send. */
const SLOW_INPUT_MIB = Math.min(INPUT_MIB, 96);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** The CLI's default concurrency: the hand-written pipeline runs at the same. */
const CLI_CONCURRENCY = 4;
const BUDGET_BYTES = 64 * MIB;

/** `mib` MiB of JSON log lines (60–200 bytes each, varied, as access logs are). */
async function writeInput(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  const events = ['click', 'view', 'purchase', 'scroll', 'login'];
  let written = 0;
  for (let i = 0; written < mib * MIB; ) {
    let chunk = '';
    while (chunk.length < 1 << 20) {
      chunk +=
        JSON.stringify({
          ts: 1_700_000_000_000 + i * 37,
          id: i,
          user: `user-${(i * 7919) % 100_003}`,
          event: events[i % 5],
          path: `/shop/${(i * 31) % 997}/item/${(i * 131) % 10_007}`,
          ...(i % 3 === 0 ? { referrer: `https://example.com/search?q=${(i * 17) % 5003}` } : {}),
          ms: (i * 13) % 2000,
        }) + '\n';
      i++;
    }
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
}

interface Run {
  readonly ms: number;
  readonly stdout: string;
}

/** Runs a command to its end, its standard input from `stdinPath` if given; resolves with the wall time. */
function run(command: string, args: readonly string[], options: { stdinPath?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const stdin = options.stdinPath === undefined ? 'ignore' : openSync(options.stdinPath, 'r');
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: root, stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (typeof stdin === 'number') closeSync(stdin);
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${err.slice(-2000)}`));
      else resolveRun({ ms, stdout: out });
    });
  });
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
const rate = (mib: number, ms: number): string => `${((mib * 1000) / ms).toFixed(1)} MiB/s`;

/**
 * Throughput and memory end to end (issue #13): the same ~300 MiB of JSON lines → 1 MiB batches → GZIP 6 →
 * files, fsync on, through
 * - `pigz -6 -p 2` (installed with apt-get when root; else `gzip -6`, one process per core, on halves of the input),
 * - a hand-written Node pipeline (bench/pipelines/handWritten.mjs) at the CLI's concurrency,
 * - the CLI (`rx-firehose --input FILE`: the published bin, the bundle `npx rx-firehose` runs),
 * - the README's first pipeline (compiled library, default options, stdin),
 * - for information: the CLI with a record per line, the README's pipeline with the CLI's aggregated records, and
 *   Node's zlib alone on the input in memory (the floor under every Node pipeline here),
 * rounds alternating between them, medians; then the README's pipeline with a destination that takes 250 ms per
 * batch, for its peak RSS. Each goal prints a PASS/FAIL line with its ratio.
 */
export async function benchThroughput(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'bundle', 'rx-firehose.js'))) {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  }
  const work = mkdtempSync(join(tmpdir(), 'rx-firehose-throughput-'));
  try {
    const input = join(work, 'input.jsonl');
    await writeInput(input, INPUT_MIB);
    const inputMib = Number(execFileSync('stat', ['-c', '%s', input], { encoding: 'utf8' })) / MIB;
    // pigz as the issue measured it, when it can be had; else gzip, one process per core on each half.
    const pigzProblem = existsSync('/usr/bin/pigz') ? undefined : aptInstall(['pigz']);
    const pigz = pigzProblem === undefined && existsSync('/usr/bin/pigz');
    const halves = [join(work, 'half-0.jsonl'), join(work, 'half-1.jsonl')];
    if (!pigz) {
      execFileSync('split', ['-n', 'l/2', '-d', '-a', '1', input, join(work, 'half-')]);
      for (const [i, half] of halves.entries()) execFileSync('mv', [join(work, `half-${i}`), half]);
    }
    const dir = (name: string): string => {
      const d = join(work, name);
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
      return d;
    };
    const contenders = {
      compressor: async (): Promise<number> => {
        const out = dir('compressor');
        if (pigz) {
          const r = await run('sh', ['-c', `pigz -6 -p 2 < "$0" > "$1" && sync -d "$1"`, input, join(out, 'input.jsonl.gz')]);
          return r.ms;
        }
        const started = process.hrtime.bigint();
        await Promise.all(
          halves.map((half, i) => run('sh', ['-c', `gzip -6 < "$0" > "$1" && sync -d "$1"`, half, join(out, `half-${i}.gz`)])),
        );
        return Number(process.hrtime.bigint() - started) / 1e6;
      },
      handWritten: async (): Promise<number> =>
        (await run(process.execPath, [join(root, 'bench/pipelines/handWritten.mjs'), input, dir('hand'), String(CLI_CONCURRENCY)])).ms,
      cli: (): Promise<number> => runCli([]),
      // The floor under every Node pipeline here: zlib alone on the input already in memory (for information).
      zlibAlone: async (): Promise<number> => {
        const r = await run(process.execPath, [join(root, 'bench/pipelines/zlibAlone.mjs'), input, String(CLI_CONCURRENCY)]);
        return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ms: number }).ms;
      },
      // The CLI as it was before it aggregated lines (for information).
      cliPerLine: (): Promise<number> => runCli(['--aggregated-record-bytes', '0']),
      // The README's pipeline with the CLI's aggregation (for information: not the README's options).
      libraryAggregated: async (): Promise<number> =>
        (
          await run(process.execPath, [join(root, 'bench/pipelines/readmePipeline.mjs'), dir('library-aggregated')], {
            stdinPath: input,
            env: { AGGREGATED_RECORD_BYTES: '65536' },
          })
        ).ms,
    };
    async function runCli(extra: readonly string[]): Promise<number> {
      const out = dir('cli');
      const args = ['dist/src/cli/bundle/rx-firehose.js', '--input', input, '--out', out, '--from-start'];
      return (await run(process.execPath, [...args, '--checkpoint-dir', join(out, '.checkpoints'), '--quiet', ...extra])).ms;
    }
    const times: Record<keyof typeof contenders | 'library', number[]> = {
      compressor: [],
      handWritten: [],
      cli: [],
      cliPerLine: [],
      zlibAlone: [],
      library: [],
      libraryAggregated: [],
    };
    const libraryRss: number[] = [];
    console.log(
      `\nthroughput end to end: ${inputMib.toFixed(0)} MiB of JSON lines → 1 MiB batches → GZIP 6 → files (fsync on), ` +
        `${ROUNDS} alternating rounds, medians (baseline compressor: ${pigz ? 'pigz -6 -p 2' : `gzip -6 on each of 2 halves (pigz: ${pigzProblem ?? 'not found'})`})`,
    );
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order from round to round, so that neither the page cache nor a neighbour's load favours one.
      const order: (keyof typeof times)[] = ['compressor', 'handWritten', 'cli', 'library', 'cliPerLine', 'libraryAggregated', 'zlibAlone'];
      if (round % 2 === 1) order.reverse();
      for (const name of order) {
        if (name === 'library') {
          const r = await run(process.execPath, [join(root, 'bench/pipelines/readmePipeline.mjs'), dir('library')], { stdinPath: input });
          times.library.push(r.ms);
          libraryRss.push((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { maxRssBytes: number }).maxRssBytes);
        } else times[name].push(await contenders[name]());
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([name, ms]) => [name, median(ms)])) as Record<keyof typeof times, number>;
    const show = (label: string, ms: number): void =>
      console.log(`  ${label.padEnd(52)} ${rate(inputMib, ms).padStart(12)}  (${(ms / 1000).toFixed(2)} s)`);
    show(pigz ? 'pigz -6 -p 2' : 'gzip -6, 2 processes', m.compressor);
    show(`hand-written Node pipeline, ${CLI_CONCURRENCY} at once`, m.handWritten);
    show('CLI (rx-firehose --input FILE, defaults)', m.cli);
    show("README's first pipeline (library, default options)", m.library);
    show('  for information: CLI, a record per line', m.cliPerLine);
    show("  for information: README's + aggregatedRecordSizeBytes", m.libraryAggregated);
    show(`  for information: Node's zlib alone, in memory, ${CLI_CONCURRENCY} at once`, m.zlibAlone);
    const cliVsCompressor = m.compressor / m.cli;
    const cliVsHand = m.handWritten / m.cli;
    const libraryVsCli = m.cli / m.library;
    const rss = median(libraryRss);
    console.log(`  ${verdict(cliVsCompressor >= 0.8)} CLI ÷ ${pigz ? 'pigz' : 'gzip'}: ${cliVsCompressor.toFixed(2)}× (goal ≥ 0.80×)`);
    console.log(`  ${verdict(cliVsHand >= 1.1)} CLI ÷ hand-written pipeline: ${cliVsHand.toFixed(2)}× (goal ≥ 1.10×)`);
    console.log(`  ${verdict(libraryVsCli >= 0.9)} README pipeline ÷ CLI: ${libraryVsCli.toFixed(2)}× (goal ≥ 0.90×)`);
    console.log(
      `  ${verdict(rss <= BUDGET_BYTES + 100 * MIB)} README pipeline peak RSS ${(rss / MIB).toFixed(0)} MiB (goal ≤ maxInFlightBytes ${BUDGET_BYTES / MIB} MiB + 100 MiB)`,
    );

    // A slow destination: 250 ms per batch. Reading must wait for it, so memory stays within the budget.
    const slowInput = join(work, 'slow.jsonl');
    execFileSync('head', ['-c', String(SLOW_INPUT_MIB * MIB), input], { stdio: ['ignore', openSync(slowInput, 'w'), 'inherit'] });
    const slow = await run(process.execPath, [join(root, 'bench/pipelines/readmePipeline.mjs'), dir('slow')], {
      stdinPath: slowInput,
      env: { SLOW_MS: '250' },
    });
    const slowRss = (JSON.parse(slow.stdout.trim().split('\n').at(-1)!) as { maxRssBytes: number }).maxRssBytes;
    console.log(
      `  ${verdict(slowRss <= BUDGET_BYTES + 100 * MIB)} slow destination (250 ms per batch, ${SLOW_INPUT_MIB} MiB in ${(slow.ms / 1000).toFixed(1)} s): ` +
        `peak RSS ${(slowRss / MIB).toFixed(0)} MiB (goal ≤ budget ${BUDGET_BYTES / MIB} MiB + 100 MiB)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchThroughput();
