import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Which modules a process loads, seen by a module-loading hook (recordImports.mjs) in a child process: the
// entries must load no AWS SDK client; only the piece that sends a command loads its client's package.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs `node --import tsx --import ./test/package/recordImports.mjs …args` from the package's root. */
function run(args: string[]): { stdout: string; modules: string[] } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/package/recordImports.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    input: '',
  });
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}:\n${child.stderr}`);
  const modules = child.stderr
    .split('\n')
    .filter((l) => l.startsWith('loaded: '))
    .map((l) => l.slice('loaded: '.length));
  return { stdout: child.stdout, modules };
}

/** The `@aws-sdk/*` packages among loaded module URLs. */
const awsSdk = (modules: string[]): string[] =>
  [...new Set(modules.flatMap((url) => /\/node_modules\/(@aws-sdk\/[^/]+)\//.exec(url)?.[1] ?? []))].sort();

const importing = (...files: string[]): string[] => [
  '--input-type=module',
  '-e',
  `${files.map((f) => `await import(${JSON.stringify(resolve(root, f))});`).join(' ')} console.log('imported');`,
];

describe('loading the package', () => {
  it("should load no AWS SDK module for 'rx-firehose/operators', 'rx-firehose', 'rx-firehose/testing' and 'rx-firehose/blueprints'", () => {
    const { stdout, modules } = run(importing('operators/index.ts', 'src/index.ts', 'src/testing/index.ts', 'src/blueprints/index.ts'));
    expect(stdout).toContain('imported');
    // The hook saw the entries and what they import (so an empty list below means something).
    expect(modules.some((url) => url.endsWith('/operators/bufferBySizeOrTime.ts'))).toBe(true);
    expect(modules.some((url) => url.endsWith('/src/destinations/s3/service.ts'))).toBe(true);
    expect(modules.some((url) => url.includes('/node_modules/rxjs/'))).toBe(true);
    expect(awsSdk(modules)).toEqual([]);
    // Nor the native Snappy addon, loaded when Snappy is first used.
    expect(modules.filter((url) => url.includes('/node_modules/snappy/'))).toEqual([]);
    // Nor the Parquet writer, loaded with the first Parquet file.
    expect(modules.filter((url) => url.includes('/node_modules/hyparquet'))).toEqual([]);
  }, 120_000);

  it('should load no AWS SDK module for the CLI (rx-firehose --help)', () => {
    const { stdout, modules } = run(['src/cli/bin.ts', '--help']);
    expect(stdout).toMatch(/^rx-firehose: /);
    expect(modules.some((url) => url.endsWith('/src/cli/main.ts'))).toBe(true);
    expect(awsSdk(modules)).toEqual([]);
    expect(modules.filter((url) => url.includes('/node_modules/snappy/'))).toEqual([]);
  }, 120_000);

  it('should load @aws-sdk/client-s3, and no other client, once an S3 destination uploads', () => {
    // A test double of S3Client: answers every command; the command classes still come from the SDK.
    const script = `
import { lastValueFrom, of } from 'rxjs';
import { s3Destination } from ${JSON.stringify(resolve(root, 'src/index.ts'))};
import { deliverTo } from ${JSON.stringify(resolve(root, 'operators/index.ts'))};
import { recordOfSize } from ${JSON.stringify(resolve(root, 'src/testing/index.ts'))};
const sent = [];
const client = { send: async (command) => (sent.push(command.constructor.name), { $metadata: {} }) };
const s3 = s3Destination({ client, bucket: 'lake' });
const result = await lastValueFrom(of([recordOfSize(3)]).pipe(deliverTo(s3)));
console.log(result.status, sent.join(','));`;
    const { stdout, modules } = run(['--input-type=module', '-e', script]);
    expect(stdout.trim()).toBe('delivered PutObjectCommand');
    expect(awsSdk(modules)).toContain('@aws-sdk/client-s3');
    expect(awsSdk(modules).filter((p) => p.startsWith('@aws-sdk/client-'))).toEqual(['@aws-sdk/client-s3']);
  }, 120_000);

  it('should load protobufjs only to de-aggregate the first KPL aggregate', () => {
    // protobufjs is CommonJS, required on first use: the module-loading hook does not see it, require's cache does.
    const script = `
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
await import(${JSON.stringify(resolve(root, 'src/index.ts'))});
const { deaggregate } = await import(${JSON.stringify(resolve(root, 'src/sources/kinesis/deaggregate.ts'))});
const protobufjs = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/protobufjs/'));
const plain = deaggregate({ data: Buffer.from('plain'), partitionKey: 'p' });
console.log(protobufjs(), plain.length);
// An aggregate with no sub-records: the magic, an empty AggregatedRecord, its MD5.
const aggregate = Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), createHash('md5').update(Buffer.alloc(0)).digest()]);
console.log(deaggregate({ data: aggregate, partitionKey: 'p' }).length, protobufjs());`;
    const { stdout } = run(['--input-type=module', '-e', script]);
    expect(stdout.trim().split('\n')).toEqual(['false 1', '0 true']);
  }, 120_000);
});
