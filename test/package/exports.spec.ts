import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Builds the package, packs it as npm would publish it, installs the tarball into a scratch consumer
// project and checks, with the consumer's own TypeScript and Node, what `rx-firehose` and
// `rx-firehose/operators` give it.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = (cmd: string, args: string[], cwd: string): string => {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
};

describe('the built package', () => {
  let consumer = '';

  beforeAll(() => {
    consumer = mkdtempSync(join(tmpdir(), 'rx-firehose-consumer-'));
    run('npm', ['run', 'build', '--silent'], root);
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', consumer], root)) as Array<{
      filename: string;
    }>;
    const installed = join(consumer, 'node_modules', 'rx-firehose');
    mkdirSync(installed, { recursive: true });
    run('tar', ['-xzf', join(consumer, packed[0]!.filename), '-C', installed, '--strip-components=1'], consumer);
    // The peer dependency and the dependencies, as npm would install them for the consumer.
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of ['rxjs', '@types/node', ...Object.keys(manifest.dependencies ?? {})]) {
      const target = join(consumer, 'node_modules', name);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(root, 'node_modules', name), target, 'dir');
    }
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  }, 120_000);

  afterAll(() => {
    if (consumer !== '') rmSync(consumer, { recursive: true, force: true });
  });

  it('should run bufferBySizeOrTime imported from rx-firehose/operators and from rx-firehose', () => {
    writeFileSync(
      join(consumer, 'main.mjs'),
      `import { from } from 'rxjs';
import { bufferBySizeOrTime } from 'rx-firehose/operators';
import * as root from 'rx-firehose';
from(['aa', 'bb', 'cc']).pipe(bufferBySizeOrTime({ maxBytes: 4 })).subscribe((b) => console.log(JSON.stringify(b)));
console.log(root.bufferBySizeOrTime === bufferBySizeOrTime, typeof root.InvalidOptionError);
`,
    );
    expect(run('node', ['main.mjs'], consumer).trim().split('\n')).toEqual(['["aa","bb"]', '["cc"]', 'true function']);
  });

  it('should give the testing helpers at rx-firehose/testing', () => {
    writeFileSync(
      join(consumer, 'testing.mjs'),
      `import { of } from 'rxjs';
import { deliverTo } from 'rx-firehose/operators';
import { memoryDestination, recordOfSize } from 'rx-firehose/testing';
const dest = memoryDestination();
of([recordOfSize(5), recordOfSize(7)]).pipe(deliverTo(dest)).subscribe((r) => console.log(r.status, r.bytes, dest.delivered.length));
`,
    );
    expect(run('node', ['testing.mjs'], consumer).trim()).toBe('delivered 12 2');
  });

  it("should give a TypeScript consumer the operator's types", () => {
    writeFileSync(
      join(consumer, 'main.ts'),
      `import { of, type OperatorFunction } from 'rxjs';
import { bufferBySizeOrTime, type BufferBySizeOrTimeOptions } from 'rx-firehose/operators';
import { InvalidOptionError, directoryDestination, type DeliveryResult, type FirehoseRecord } from 'rx-firehose';
import { memoryDestination } from 'rx-firehose/testing';
const dest = directoryDestination<FirehoseRecord>({ path: 'out' });
const results: DeliveryResult<FirehoseRecord>[] = [];
void dest; void results; void memoryDestination;
const options: BufferBySizeOrTimeOptions<string> = { maxBytes: 1024, maxMs: 1000 };
const op: OperatorFunction<string, string[]> = bufferBySizeOrTime(options);
of('a').pipe(op).subscribe((batch: string[]) => batch.length);
const err: RangeError = new InvalidOptionError('c', 'o', 1, 'x');
// @ts-expect-error maxBytes is a number
bufferBySizeOrTime({ maxBytes: '1' });
void err;
`,
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', 'main.ts'];
    expect(() => run('node', [tsc, ...args], consumer)).not.toThrow();
    // And the check can fail: a wrong type is reported.
    writeFileSync(join(consumer, 'wrong.ts'), `import { bufferBySizeOrTime } from 'rx-firehose/operators';\nconst n: number = bufferBySizeOrTime();\n`);
    expect(() => run('node', [tsc, ...args.slice(0, -1), 'wrong.ts'], consumer)).toThrow(/not assignable/);
  });
});
