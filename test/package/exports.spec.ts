import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jqPartitioning } from '../support/jqPartitioning.js';

// The package as a user gets it, from nothing built: a clean clone of the committed HEAD, its `prepare` (what
// `npm ci` and `npm i git+…` run) building dist/, `npm pack` of what it built (without running prepare and
// prepack again: they are the same build, twice more), and the tarball
// installed with `npm i <tarball>` into a new ESM project, which then imports all four entries, type-checks
// against them and runs `npx rx-firehose`. The clone uses this checkout's node_modules (a link) instead of a
// second `npm ci` of every devDependency: installing from the lockfile is what `.ci/run` does on each fresh
// clone, where test/cli/mainJob.spec.ts runs the bin that `npm ci`'s `prepare` built. npm uses its cache (the
// registry only for what the cache lacks).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
const versionOf = (name: string): string => lock.packages[`node_modules/${name}`]!.version;

// npm's own variables from an enclosing `npm test` must not steer the npm commands run here.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^INIT_CWD$/i.test(k)));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], cwd: string): Run {
  const child = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (child.error !== undefined) throw child.error;
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}
function ok(cmd: string, args: string[], cwd: string): string {
  const result = run(cmd, args, cwd);
  if (result.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}
const NPM = ['--prefer-offline', '--no-audit', '--no-fund'];

describe('the package, from a clean clone', () => {
  let work = '';
  let clone = '';
  let consumer = '';
  let files: string[] = [];
  let manifest: { exports: Record<string, { types: string; import: string }>; bin: Record<string, string> };

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'rx-firehose-package-'));
    clone = join(work, 'clone');
    ok('git', ['clone', '--quiet', root, clone], work);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
    ok('npm', ['run', 'prepare'], clone);
    const packed = JSON.parse(ok('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], clone)) as Array<{
      filename: string;
      files: { path: string }[];
    }>;
    files = packed[0]!.files.map((f) => f.path).sort();
    manifest = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as typeof manifest;
    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // rxjs, a required peer, comes with it; the AWS SDK clients are optional peers and do not.
    ok('npm', ['install', ...NPM, join(work, packed[0]!.filename), `@types/node@${versionOf('@types/node')}`], consumer);
  }, 1_200_000);

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('should build dist/ in its prepare script, so that the bin works in the clone', () => {
    const help = run('node', [manifest.bin['rx-firehose']!, '--help'], clone);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^rx-firehose: delivers JSON lines/);
    expect(help.status).toBe(0);
  }, 120_000);

  it('should pack the compiled entries, the bin, README.md and LICENSE, and nothing else', () => {
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/src/cli/bin.js', 'dist/src/cli/main.js']));
    for (const { types, import: js } of Object.values(manifest.exports))
      expect(files).toEqual(expect.arrayContaining([types.slice(2), js.slice(2)]));
    expect(files).toContain(manifest.bin['rx-firehose']!.replace(/^\.\//, ''));
    expect(files.filter((f) => !/^dist\/(src|operators)\/.*\.(js|d\.ts)$/.test(f))).toEqual(['LICENSE', 'README.md', 'package.json']);
    expect(files.some((f) => f.includes('.spec.'))).toBe(false);
    expect(readFileSync(join(clone, 'LICENSE'), 'utf8')).toMatch(
      /Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/,
    );
    expect(readFileSync(join(clone, 'dist/src/cli/bin.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('should import all four entries from an ESM project, without the optional AWS SDK clients installed', () => {
    expect(existsSync(join(consumer, 'node_modules', 'rxjs'))).toBe(true);
    expect(existsSync(join(consumer, 'node_modules', '@aws-sdk'))).toBe(false);
    writeFileSync(
      join(consumer, 'main.mjs'),
      `import { from, lastValueFrom, of } from 'rxjs';
import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
import * as root from 'rx-firehose';
import { memoryDestination, recordOfSize } from 'rx-firehose/testing';
import { apacheLogToJson } from 'rx-firehose/blueprints';
from(['aa', 'bb', 'cc']).pipe(bufferBySizeOrTime({ maxBytes: 4 })).subscribe((b) => console.log(JSON.stringify(b)));
console.log(root.bufferBySizeOrTime === bufferBySizeOrTime, typeof root.s3Destination, typeof root.fromKinesisStream, typeof root.InvalidOptionError);
console.log(['crc32c', 'checkStreamName', 'KPL_MAGIC', 'compareSequenceNumbers'].filter((name) => name in root).join(',') || 'no internals');
const dest = memoryDestination();
const result = await lastValueFrom(of([recordOfSize(5), recordOfSize(7)]).pipe(deliverTo(dest)));
console.log(result.status, result.bytes, dest.delivered.length);
const line = Buffer.from('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326').toString('base64');
const parsed = await apacheLogToJson({ invocationId: 'i', deliveryStreamArn: 'a', region: 'r', records: [{ recordId: '1', approximateArrivalTimestamp: 0, data: line }] });
console.log(JSON.parse(Buffer.from(parsed.records[0].data, 'base64').toString()).status);
`,
    );
    expect(ok('node', ['main.mjs'], consumer).trim().split('\n')).toEqual([
      '["aa","bb"]',
      '["cc"]',
      'true function function function',
      'no internals',
      'delivered 12 2',
      '200',
    ]);
  });

  it('should run npx rx-firehose in the project: the main job, and a clear error for an unknown command', () => {
    const help = run('npx', ['--no-install', 'rx-firehose', '--help'], consumer);
    expect(help.stdout).toMatch(/^rx-firehose: delivers JSON lines/);
    expect(help.status).toBe(0);
    const unknown = run('npx', ['--no-install', 'rx-firehose', 'frobnicate'], consumer);
    expect(unknown.stderr).toMatch(/^rx-firehose: unknown command "frobnicate"/);
    expect(unknown.status).toBe(2);
    // The main job, end to end: one line in, one gzip file out.
    const out = join(consumer, 'out');
    const job = spawnSync('npx', ['--no-install', 'rx-firehose', '--input', '-', '--out', out], {
      cwd: consumer,
      env,
      input: '{"a":1}\n',
      encoding: 'utf8',
    });
    expect(job.stderr).toMatch(/done: 1 records/);
    expect(job.status).toBe(0);
    // A configuration that needs an optional peer this project did not install (jq-wasm, for a JQ query) is
    // refused before any stream starts, naming the field and the package.
    const query = 'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue';
    writeFileSync(
      join(consumer, 'jq.json'),
      JSON.stringify({
        DeliveryStreamName: 'jq',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          BucketARN: 'arn:aws:s3:::lake',
          ...jqPartitioning('customer', '{customer: .customer}'),
        },
      }),
    );
    const jq = spawnSync('npx', ['--no-install', 'rx-firehose', 'run', '--config', 'jq.json', '--input', '-', '--data-dir', 'jq-data'], {
      cwd: consumer,
      env,
      input: '{"customer":"a"}\n',
      encoding: 'utf8',
    });
    expect(jq.stderr).toContain(`${query}: extractPartitionKeys (MetadataExtraction) needs jq-wasm`);
    expect(jq.stderr).toContain('npm install jq-wasm');
    expect(jq.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
    expect(jq.status).toBe(2);
    expect(existsSync(join(consumer, 'jq-data', 'lake'))).toBe(false);
    // A Kinesis source without @aws-sdk/client-kinesis installed: what to install, not a stack trace.
    writeFileSync(
      join(consumer, 'kinesis.json'),
      JSON.stringify({
        DeliveryStreamName: 'clicks',
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks' },
        ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::lake' },
      }),
    );
    const kinesis = spawnSync('npx', ['--no-install', 'rx-firehose', 'run', '--config', 'kinesis.json', '--data-dir', 'kinesis-data'], {
      cwd: consumer,
      env,
      encoding: 'utf8',
    });
    expect(kinesis.stderr).toContain('npm install @aws-sdk/client-kinesis');
    expect(kinesis.stderr).not.toMatch(/\n\s+at /);
    expect(kinesis.status).toBe(2);
    // serve refuses it the same way (through the API, CreateDeliveryStream answers InvalidArgumentException).
    const served = spawnSync(
      'npx',
      ['--no-install', 'rx-firehose', 'serve', '--port', '0', '--config', 'kinesis.json', '--data-dir', 'served'],
      {
        cwd: consumer,
        env,
        encoding: 'utf8',
      },
    );
    expect(served.stderr).toContain('InvalidArgumentException');
    expect(served.stderr).toContain('npm install @aws-sdk/client-kinesis');
    expect(served.stderr).not.toMatch(/\n\s+at /);
    expect(served.status).toBe(2);
  }, 120_000);

  it("should give a TypeScript project the entries' types", () => {
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
    writeFileSync(
      join(consumer, 'wrong.ts'),
      `import { bufferBySizeOrTime } from 'rx-firehose/operators';\nconst n: number = bufferBySizeOrTime();\n`,
    );
    const tsc = join(clone, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = [
      '--noEmit',
      '--strict',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--skipLibCheck',
    ];
    expect(ok('node', [tsc, ...args, 'main.ts'], consumer)).toBe('');
    // And the check can fail: a wrong type is reported.
    expect(run('node', [tsc, ...args, 'wrong.ts'], consumer).stdout).toMatch(/not assignable/);
  }, 120_000);
});
