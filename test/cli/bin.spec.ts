import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The `rx-firehose` bin's dispatch, run as a user runs it, in a child process. It is copied next to test
// doubles of its neighbours (a `main.ts`, a `run.ts` and a `serve.ts` that print what they were given and return
// an exit code), so what is tested is bin.ts alone; the real main job is run through it once, from its real place.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the rx-firehose bin', () => {
  let dir = '';

  beforeAll(() => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(root, '.tmp', 'bin-'));
    copyFileSync(join(root, 'src/cli/bin.ts'), join(dir, 'bin.ts'));
    const double = (name: string, code: number): string =>
      `export async function main(argv: string[]): Promise<number> {\n  console.log(${JSON.stringify(name)}, JSON.stringify(argv));\n  return ${code};\n}\n`;
    writeFileSync(join(dir, 'main.ts'), double('main job', 0));
    writeFileSync(join(dir, 'run.ts'), double('run command', 3));
    writeFileSync(join(dir, 'serve.ts'), double('serve command', 0));
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const bin = (file: string, args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { cwd: root, encoding: 'utf8', input: '' });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
  };

  it('should run the main job with every argument when there is no command, or an option comes first', () => {
    expect(bin(join(dir, 'bin.ts'), [])).toEqual({ status: 0, stdout: 'main job []\n', stderr: '' });
    expect(bin(join(dir, 'bin.ts'), ['--records', '5', 'run'])).toEqual({
      status: 0,
      stdout: 'main job ["--records","5","run"]\n',
      stderr: '',
    });
  }, 120_000);

  it("should load a command's module and exit with what its main returns, given the arguments after its name", () => {
    expect(bin(join(dir, 'bin.ts'), ['run', '--config', 'a.json', 'x'])).toEqual({
      status: 3,
      stdout: 'run command ["--config","a.json","x"]\n',
      stderr: '',
    });
    expect(bin(join(dir, 'bin.ts'), ['serve', '--port', '0'])).toEqual({ status: 0, stdout: 'serve command ["--port","0"]\n', stderr: '' });
  }, 120_000);

  it('should refuse an unknown command with exit 2, listing the commands there are', () => {
    for (const command of ['frobnicate', 'main', 'bin', '../cli/run', 'constructor', 'toString']) {
      const result = bin(join(dir, 'bin.ts'), [command]);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`rx-firehose: unknown command ${JSON.stringify(command)}.`);
      expect(result.stderr).toMatch(
        /Commands:\n {2}run {4}run delivery streams described by Firehose configuration\n {2}serve {2}serve the Firehose API/,
      );
    }
  }, 300_000);

  it('should run the real main job: rx-firehose --help', () => {
    const result = bin(join(root, 'src/cli/bin.ts'), ['--help']);
    expect(result.stdout).toMatch(/^rx-firehose: delivers JSON lines/);
    expect(result.status).toBe(0);
  }, 120_000);
});
