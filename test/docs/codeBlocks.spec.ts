import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every TypeScript block of README.md and docs/ is a file a user could paste: it is type-checked on its own
// (imports included, nothing undeclared) against the package's entries, with the compiler options of a new
// project (`strict`); the blocks that hold a marble test (`TestScheduler`) are run, and must pass.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Block {
  /** `docs/semantics.md:7`: where the block's fence is. */
  readonly where: string;
  readonly code: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
  );
}

function blocksOf(file: string): Block[] {
  const blocks: Block[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i;
    const code: string[] = [];
    while (++i < lines.length && lines[i] !== '```') code.push(lines[i]!);
    blocks.push({ where: `${relative(root, file)}:${start + 1}`, code: code.join('\n') + '\n' });
  }
  return blocks;
}

const blocks = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))].flatMap(blocksOf);

// The package's entries as a user imports them, mapped to their sources (from package.json's exports).
const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string }> };
const paths = Object.fromEntries(
  Object.entries(exports).map(([entry, { types }]) => [
    entry.replace(/^\./, 'rx-firehose'),
    [join(root, types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'))],
  ]),
);
const options: ts.CompilerOptions = {
  strict: true,
  // Set by `tsc --init`, so a new project has it.
  exactOptionalPropertyTypes: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  types: ['node'],
  skipLibCheck: true,
  paths,
};

/** Not documentation: blocks that must fail, so that a passing check means something. */
const CONTROLS = {
  undeclared: `import { bufferBySizeOrTime } from 'rx-firehose/operators';\nclicks$.pipe(bufferBySizeOrTime());\n`,
  wrongType: `import { bufferBySizeOrTime } from 'rx-firehose/operators';\nbufferBySizeOrTime({ maxBytes: '1' });\n`,
  failingMarble: '',
};

describe('TypeScript blocks of README.md and docs/', () => {
  let dir = '';
  const fileOf = new Map<string, string>();
  let diagnostics = new Map<string, string[]>();

  beforeAll(() => {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    dir = mkdtempSync(join(root, '.tmp', 'doc-blocks-'));
    const write = (name: string, code: string): string => {
      const file = join(dir, name);
      writeFileSync(file, code);
      return file;
    };
    blocks.forEach((b, i) => fileOf.set(b.where, write(`block${i}.ts`, b.code)));
    for (const [name, code] of Object.entries(CONTROLS)) if (code !== '') fileOf.set(name, write(`${name}.ts`, code));
    // tsx (which runs the marble blocks) reads the same path mapping from here.
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, paths } }),
    );
    const program = ts.createProgram([...fileOf.values()], options);
    diagnostics = new Map(
      [...fileOf].map(([where, file]) => [
        where,
        ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => {
          const line = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
          return `line ${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        }),
      ]),
    );
  }, 300_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a block with tsx, resolving `rx-firehose` to the sources. */
  const runBlock = (file: string): { status: number | null; output: string } => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TSX_TSCONFIG_PATH: join(dir, 'tsconfig.json') },
    });
    return { status: child.status, output: child.stdout + child.stderr };
  };

  it('should find the blocks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(14);
    expect(blocks.filter((b) => b.code.includes('TestScheduler')).length).toBeGreaterThanOrEqual(2);
  });

  it('should report what does not compile (controls)', () => {
    expect(diagnostics.get('undeclared')!.join('\n')).toMatch(/TS2304 Cannot find name 'clicks\$'/);
    expect(diagnostics.get('wrongType')!.join('\n')).toMatch(/TS2322/);
  });

  it.each(blocks.map((b) => [b.where, b] as const))('%s should compile as pasted', (where) => {
    expect(diagnostics.get(where)).toEqual([]);
  });

  const marbles = blocks.filter((b) => b.code.includes('TestScheduler'));
  it.each(marbles.map((b) => [b.where, b] as const))(
    '%s should run, and pass',
    (where) => {
      const { status, output } = runBlock(fileOf.get(where)!);
      expect(output).toBe('');
      expect(status).toBe(0);
    },
    120_000,
  );

  it('should fail a marble block whose expectation is wrong (control)', () => {
    const block = marbles[0]!;
    // The same test with its expected marble shifted by one frame.
    const wrong = block.code.replace(/toBe\('(-+)/, "toBe('-$1");
    expect(wrong).not.toBe(block.code);
    const file = join(dir, 'failingMarble.ts');
    writeFileSync(file, wrong);
    const { status, output } = runBlock(file);
    expect(status).not.toBe(0);
    expect(output).toMatch(/AssertionError/);
  }, 120_000);
});
