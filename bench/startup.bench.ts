import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = 15;
/** The budget for the CLI, from start to its first record delivered. */
const TARGET_MS = 300;

/**
 * Starts `node args…`, writes one JSON line to its standard input and closes it, and resolves with the ms until
 * `marker` appears on its standard output.
 */
function msUntil(args: string[], marker: string): Promise<number> {
  return new Promise((resolveMs, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    let ms: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (ms === undefined && out.includes(marker)) ms = Number(process.hrtime.bigint() - started) / 1e6;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      ms === undefined
        ? reject(new Error(`node ${args.join(' ')} exited ${code} without ${JSON.stringify(marker)}:\n${out}`))
        : resolveMs(ms),
    );
    child.stdin.end('{"id":1}\n');
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Start-up: the published bin (`rx-firehose --input -`, what `npx rx-firehose` and `npm start` run: the bundle
 * that `npm run build` makes) from spawn to its first record delivered (one line on stdin, gzip file written,
 * `delivered` printed), against a bare Node script that reads one line and prints it; the same command from
 * tsc's unbundled output (`dist/src/cli/bin.js`), to show what the bundle saves; `import 'rx-firehose/operators'`
 * against `node -e 0`; and `import 'rx-firehose'` (the library's bundle) against `import 'rxjs'`, which every
 * Rx program pays, and against tsc's unbundled `dist/src/index.js`. Rounds interleaved, medians.
 */
export async function benchStartup(): Promise<void> {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const out = mkdtempSync(join(tmpdir(), 'rx-firehose-bench-'));
  try {
    const readLine = `process.stdin.once('data', (d) => console.log('read ' + String(d).split('\\n')[0]))`;
    const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const cliArgs = [bin['rx-firehose']!, '--input', '-', '--out', out];
    const unbundledArgs = ['dist/src/cli/bin.js', '--input', '-', '--out', out];
    const times = {
      cli: [] as number[],
      unbundled: [] as number[],
      line: [] as number[],
      operators: [] as number[],
      empty: [] as number[],
      root: [] as number[],
      rootUnbundled: [] as number[],
      rxjs: [] as number[],
    };
    const importing = (specifier: string): string[] => [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(specifier)}); console.log('ok')`,
    ];
    for (let i = 0; i < ROUNDS + 1; i++) {
      const round = {
        line: await msUntil(['-e', readLine], 'read '),
        cli: await msUntil(cliArgs, 'delivered'),
        unbundled: await msUntil(unbundledArgs, 'delivered'),
        empty: await msUntil(['-e', `console.log('ok')`], 'ok'),
        operators: await msUntil(importing('rx-firehose/operators'), 'ok'),
        rxjs: await msUntil(importing('rxjs'), 'ok'),
        root: await msUntil(importing('rx-firehose'), 'ok'),
        rootUnbundled: await msUntil(importing(join(root, 'dist/src/index.js')), 'ok'),
      };
      if (i === 0) continue; // warm-up: file system caches
      for (const key of Object.keys(times) as (keyof typeof times)[]) times[key].push(round[key]);
    }
    const [cli, unbundled, line, operators, empty, rootMs, rootUnbundled, rxjs] = [
      times.cli,
      times.unbundled,
      times.line,
      times.operators,
      times.empty,
      times.root,
      times.rootUnbundled,
      times.rxjs,
    ].map(median) as [number, number, number, number, number, number, number, number];
    console.log(
      `startup: CLI to first record delivered ${cli.toFixed(0)} ms (target ≤ ${TARGET_MS} ms: ${cli <= TARGET_MS ? 'met' : 'NOT met'}),`,
    );
    console.log(`  ${(cli / line).toFixed(2)}× a bare node script reading a line (${line.toFixed(0)} ms), +${(cli - line).toFixed(0)} ms`);
    console.log(`  unbundled (tsc's dist/src/cli/bin.js): ${unbundled.toFixed(0)} ms, ${(unbundled / line).toFixed(2)}× the bare script`);
    console.log(
      `startup: import 'rx-firehose/operators' ${operators.toFixed(0)} ms, ${(operators / empty).toFixed(2)}× node -e 0 (${empty.toFixed(0)} ms), +${(operators - empty).toFixed(0)} ms`,
    );
    console.log(
      `startup: import 'rx-firehose' ${rootMs.toFixed(0)} ms, +${(rootMs - rxjs).toFixed(0)} ms over import 'rxjs' (${rxjs.toFixed(0)} ms); unbundled (tsc's dist/src/index.js) ${rootUnbundled.toFixed(0)} ms, +${(rootUnbundled - rxjs).toFixed(0)} ms`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
