import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
    // The peer dependency, as the consumer would have it.
    symlinkSync(join(root, 'node_modules', 'rxjs'), join(consumer, 'node_modules', 'rxjs'), 'dir');
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

  it("should give a TypeScript consumer the operator's types", () => {
    writeFileSync(
      join(consumer, 'main.ts'),
      `import { of, type OperatorFunction } from 'rxjs';
import { bufferBySizeOrTime, type BufferBySizeOrTimeOptions } from 'rx-firehose/operators';
import { InvalidOptionError } from 'rx-firehose';
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
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', 'main.ts'];
    expect(() => run('node', [tsc, ...args], consumer)).not.toThrow();
    // And the check can fail: a wrong type is reported.
    writeFileSync(join(consumer, 'wrong.ts'), `import { bufferBySizeOrTime } from 'rx-firehose/operators';\nconst n: number = bufferBySizeOrTime();\n`);
    expect(() => run('node', [tsc, ...args.slice(0, -1), 'wrong.ts'], consumer)).toThrow(/not assignable/);
  });
});
