import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { deliverTo } from '../../operators/index.js';
import { decompress } from '../../src/codecs/decompress.js';
import { directoryDestination } from '../../src/destinations/directory/index.js';
import { DeliveryError, InvalidOptionError, type Compression, type FailureRecord, type FirehoseRecord } from '../../src/index.js';
import { checkDirectoryOptions } from '../../src/destinations/directory/options.js';
import { writeObjectAtomically } from '../../src/destinations/directory/service.js';
import { objectStoreDestination } from '../../src/destinations/objectStore/objectStoreDestination.js';
import { describeDestinationConformance, recordsOf } from './conformance.js';

/** Every file below `root`, as paths relative to it, sorted. */
async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

const compressionOf = (file: string): Compression =>
  file.endsWith('.gz')
    ? 'GZIP'
    : file.endsWith('.zip')
      ? 'ZIP'
      : file.endsWith('.hsnappy')
        ? 'HADOOP_SNAPPY'
        : file.endsWith('.snappy')
          ? 'Snappy'
          : 'UNCOMPRESSED';

async function readLines(root: string, filter: (file: string) => boolean): Promise<string[]> {
  const lines: string[] = [];
  for (const file of (await listFiles(root)).filter(filter)) {
    const text = Buffer.from(await decompress(compressionOf(file), await readFile(join(root, file)))).toString();
    lines.push(...text.split('\n').filter((l) => l !== ''));
  }
  return lines;
}

describeDestinationConformance('directoryDestination', {
  create: async () => {
    const root = await mkdtemp(join(tmpdir(), 'rx-firehose-dir-'));
    const config = checkDirectoryOptions({
      path: root,
      streamName: 'conformance',
      compression: 'GZIP',
      dynamicPartitioning: true,
      prefix: 'p=!{partitionKeyFromLambda:p}/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    });
    // directoryDestination's own parts (options, builder, file writer), with a fault injected at the write:
    // a key marked by failWireOnce fails once, transiently.
    const failing = new Set<string>();
    const destination = objectStoreDestination('Directory', config, (key, body, signal) =>
      failing.delete(key)
        ? Promise.reject(new DeliveryError('Directory.EIO', 'injected at the write'))
        : writeObjectAtomically(config.root, key, body, config.fsync, signal),
    );
    const isFailure = (f: string): boolean => f.startsWith('errors/');
    return {
      destination,
      errorOutput: destination,
      readDelivered: () => readLines(root, (f) => !isFailure(f)),
      readFailures: async () => (await readLines(root, isFailure)).map((l) => JSON.parse(l) as FailureRecord),
      splitBatch: () => [...recordsOf(3, 0, 'a'), ...recordsOf(3, 3, 'b')],
      failWireOnce: (key) => void failing.add(key),
      close: () => rm(root, { recursive: true, force: true }),
    };
  },
});

describe('directoryDestination', () => {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'rx-firehose-dir-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const at = Date.UTC(2016, 1, 25, 13, 5, 9);
  const record = (text: string, arrivalMs = at, extra: Partial<FirehoseRecord> = {}): FirehoseRecord => ({
    recordId: text,
    data: new TextEncoder().encode(text),
    approximateArrivalTimestamp: arrivalMs,
    ...extra,
  });
  const deliver = (destination: ReturnType<typeof directoryDestination<FirehoseRecord>>, batches: FirehoseRecord[][]) =>
    lastValueFrom(from(batches).pipe(deliverTo(destination, { errorOutput: destination, backoff: { initialMs: 1 } }), toArray()));

  it('should lay objects out as Firehose does: UTC yyyy/MM/dd/HH/ of the oldest record, then <stream>-<version>-<time>-<uuid>', async () => {
    const dest = directoryDestination<FirehoseRecord>({ path: root, streamName: 'clicks' });
    // Not in arrival order: the oldest record (13:05:09) names the object, not the first.
    const [result] = await deliver(dest, [[record('b', at + 3_600_000), record('a')]]);
    const files = await listFiles(root);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(
      /^2016\/02\/25\/13\/clicks-1-2016-02-25-13-05-09-[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(result!.location).toBe(join(root, files[0]!));
    // Concatenated with no delimiter, as Firehose does.
    expect(await readFile(join(root, files[0]!), 'utf8')).toBe('ba');
  });

  it.each([
    ['UNCOMPRESSED', ''],
    ['GZIP', '.gz'],
    ['ZIP', '.zip'],
    ['Snappy', '.snappy'],
    ['HADOOP_SNAPPY', '.hsnappy'],
  ] as const)('should compress with %s and name the file %s', async (compression, extension) => {
    const dest = directoryDestination<FirehoseRecord>({ path: root, compression });
    const text = Array.from({ length: 2000 }, (_, i) => `{"i":${i}}\n`).join('');
    await deliver(dest, [[record(text)]]);
    const [file] = await listFiles(root);
    expect(file!.endsWith(`${extension}`)).toBe(true);
    if (extension === '') expect(file).toMatch(/-[0-9a-f]{12}$/);
    expect(Buffer.from(await decompress(compression, await readFile(join(root, file!)))).toString()).toBe(text);
  });

  it('should use a custom prefix with expressions and a file extension', async () => {
    const dest = directoryDestination<FirehoseRecord>({
      path: root,
      streamName: 's',
      prefix: 'logs/!{timestamp:yyyy}/!{timestamp:MM}/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      compression: 'GZIP',
      fileExtension: '.json.gz',
    });
    await deliver(dest, [[record('x')]]);
    expect(await listFiles(root)).toEqual([expect.stringMatching(/^logs\/2016\/02\/s-1-2016-02-25-13-05-09-.*\.json\.gz$/)]);
  });

  it('should write one object per partition with dynamic partitioning, and send records without their key to the error output', async () => {
    const dest = directoryDestination<FirehoseRecord>({
      path: root,
      prefix: 'customer=!{partitionKeyFromLambda:customer}/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      dynamicPartitioning: true,
    });
    const batch = [
      record('a1', at, { partitionKeys: { customer: 'a' } }),
      record('b1', at, { partitionKeys: { customer: 'b' } }),
      record('a2', at, { partitionKeys: { customer: 'a' } }),
      record('none', at),
    ];
    const [result] = await deliver(dest, [batch]);
    expect(result!.status).toBe('failed-to-error-output');
    expect(result!.failed.map((r) => r.recordId)).toEqual(['none']);
    const files = await listFiles(root);
    expect(files.filter((f) => f.startsWith('customer='))).toEqual([
      expect.stringMatching(/^customer=a\/rx-firehose-1-/),
      expect.stringMatching(/^customer=b\/rx-firehose-1-/),
    ]);
    const byDir = Object.fromEntries(
      await Promise.all(
        files.filter((f) => f.startsWith('customer=')).map(async (f) => [f.split('/')[0], await readFile(join(root, f), 'utf8')]),
      ),
    );
    expect(byDir).toEqual({ 'customer=a': 'a1a2', 'customer=b': 'b1' });
    const failures = await readLines(root, (f) => f.startsWith('errors/'));
    expect(failures.map((l) => JSON.parse(l) as FailureRecord)).toMatchObject([
      { errorCode: 'DynamicPartitioning.PartitionKeyError', rawData: Buffer.from('none').toString('base64') },
    ]);
    expect(files.find((f) => f.startsWith('errors/'))).toMatch(/^errors\/Directory-failed\//);
  });

  it('should refuse partition key values that would lead outside the directory, and deliver nothing there', async () => {
    const dest = directoryDestination<FirehoseRecord>({
      path: join(root, 'out'),
      prefix: '!{partitionKeyFromLambda:p}/',
      errorOutputPrefix: 'e/!{firehose:error-output-type}/',
      dynamicPartitioning: true,
    });
    const [result] = await deliver(dest, [[record('evil', at, { partitionKeys: { p: '../..' } })]]);
    // Refused by the key layout before any write (a `..` segment in a partition key value is an unsafe path).
    expect(result).toMatchObject({ status: 'failed-to-error-output', errorCode: 'DynamicPartitioning.PartitionKeyError', attempts: 1 });
    expect((await listFiles(root)).every((f) => f.startsWith('out/'))).toBe(true);
  });

  it('should name files at random per batch, or from the batch content with deterministicNames', async () => {
    const plain = directoryDestination<FirehoseRecord>({ path: join(root, 'plain') });
    await deliver(plain, [[record('x')]]);
    await deliver(plain, [[record('x')]]);
    expect(await listFiles(join(root, 'plain'))).toHaveLength(2);

    const deterministic = directoryDestination<FirehoseRecord>({ path: join(root, 'det'), deterministicNames: true });
    await deliver(deterministic, [[record('x'), record('y')]]);
    await deliver(deterministic, [[record('x'), record('y')]]); // a replay of the same batch overwrites it
    await deliver(deterministic, [[record('z')]]);
    expect(await listFiles(join(root, 'det'))).toHaveLength(2);
  });

  it('should leave no temporary or partial files, even when a write fails', async () => {
    const dest = directoryDestination<FirehoseRecord>({
      path: root,
      prefix: 'blocked/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    });
    await writeFile(join(root, 'blocked'), 'a file where a directory should be');
    const results = await lastValueFrom(from([[record('x')]]).pipe(deliverTo(dest, { errorOutput: dest, retryDurationMs: 0 }), toArray()));
    expect(results[0]).toMatchObject({ status: 'failed-to-error-output', errorCode: 'Directory.ENOTDIR' });
    const files = await listFiles(root);
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(files.filter((f) => f !== 'blocked')).toEqual([
      expect.stringMatching(/^errors\/Directory-failed\/rx-firehose-1-2016-02-25-13-05-09-/),
    ]);
  });

  it('should make a directory again when it was removed after a write into it, and when a file took its place fail as before', async () => {
    const dest = directoryDestination<FirehoseRecord>({ path: root, prefix: 'kept/', errorOutputPrefix: 'errors/' });
    await deliver(dest, [[record('a')]]);
    // The destination knows kept/ exists now; removed behind its back, the next write must make it again.
    await rm(join(root, 'kept'), { recursive: true });
    const [again] = await deliver(dest, [[record('b')]]);
    expect(again).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(await readLines(root, (f) => f.startsWith('kept/'))).toEqual(['b']);
    // Two writes at once into it, removed again: each makes it again (neither is refused because the other
    // already forgot the directory).
    await rm(join(root, 'kept'), { recursive: true });
    const both = await deliver(dest, [[record('c')], [record('d')]]);
    expect(both.map((r) => [r.status, r.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
    ]);
    expect((await readLines(root, (f) => f.startsWith('kept/'))).sort()).toEqual(['c', 'd']);
    await rm(join(root, 'kept'), { recursive: true });
    await writeFile(join(root, 'kept'), 'a file where a directory should be');
    const [blocked] = await lastValueFrom(
      from([[record('c')]]).pipe(deliverTo(dest, { retryDurationMs: 0, errorOutput: dest }), toArray()),
    );
    expect(blocked).toMatchObject({ status: 'failed-to-error-output', errorCode: 'Directory.ENOTDIR' });
  });

  it('should fail at once, permanently, on a path where no directory can be made (under /proc), and end', async () => {
    const dest = directoryDestination<FirehoseRecord>({ path: '/proc/rx-firehose-test/out' });
    // Without retries to wait for: a permanent error ends the batch at its first attempt, with the error output failing too.
    const outcome = lastValueFrom(from([[record('x')]]).pipe(deliverTo(dest, { errorOutput: dest }), toArray()));
    await expect(outcome).rejects.toMatchObject({ name: 'UndeliverableRecordsError', errorCode: 'Directory.ENOENT' });
    await expect(outcome).rejects.toThrow('cannot create the directory /proc/rx-firehose-test: /proc accepts no new directories');
  });

  it('should delete the temporary files of dead writers before its first write, never a live writer’s', async () => {
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout; // exited: its pid is free
    const live = process.ppid; // the test runner's parent: running
    await writeFile(join(root, `.rx-firehose-1-x.${dead}.0123456789ab.tmp`), 'half of an object');
    await mkdtemp(join(root, 'sub-')).then((dir) => writeFile(join(dir, `.deep.${dead}.ba9876543210.tmp`), 'half'));
    await writeFile(join(root, `.rx-firehose-1-y.${live}.0123456789ab.tmp`), 'being written');
    await writeFile(join(root, `.rx-firehose-1-z.${process.pid}.0123456789ab.tmp`), 'being written by this process');
    await writeFile(join(root, 'not-a-temp.tmp'), 'kept');
    const dest = directoryDestination<FirehoseRecord>({ path: root });
    await deliver(dest, [[record('x')]]);
    const files = await listFiles(root);
    expect(files.filter((f) => f.endsWith('.tmp')).sort()).toEqual(
      [`.rx-firehose-1-y.${live}.0123456789ab.tmp`, `.rx-firehose-1-z.${process.pid}.0123456789ab.tmp`, 'not-a-temp.tmp'].sort(),
    );
    expect(files.filter((f) => !f.endsWith('.tmp'))).toHaveLength(1);
  });

  it('should send a record without bytes to the error output at once, and store the others', async () => {
    const dest = directoryDestination<FirehoseRecord>({ path: root });
    const broken = { recordId: 'broken', approximateArrivalTimestamp: at } as unknown as FirehoseRecord;
    const [result] = await deliver(dest, [[record('fine'), broken]]);
    expect(result).toMatchObject({ status: 'failed-to-error-output', attempts: 1, errorCode: 'Directory.InvalidRecord' });
    expect(result!.failed).toEqual([broken]);
    const lines = await readLines(root, (f) => f.startsWith('Directory-failed/'));
    expect(JSON.parse(lines[0]!)).toMatchObject({
      errorCode: 'Directory.InvalidRecord',
      rawData: Buffer.from(JSON.stringify(broken)).toString('base64'),
    });
    expect(await readLines(root, (f) => !f.startsWith('Directory-failed/'))).toEqual(['fine']);
  });

  it('should lay out records with unusable arrival times by the delivery time instead of failing', async () => {
    const dest = directoryDestination<FirehoseRecord>({ path: root });
    const micro = record('micro', Date.UTC(2016, 1, 25) * 1000); // a producer stamping microseconds
    const nan = record('nan', Number.NaN);
    const [result] = await deliver(dest, [[micro, nan]]);
    expect(result).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(await listFiles(root)).toEqual([expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/rx-firehose-1-/)]);
  });

  it('should refuse invalid options at the call, naming them', () => {
    const cases: Array<[object, string]> = [
      [{ path: '' }, 'directoryDestination: path must be a non-empty directory path; got ""'],
      [
        { path: root, compression: 'gzip' },
        "directoryDestination: compression must be one of 'UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'; got \"gzip\"",
      ],
      [{ path: root, streamName: 'no spaces' }, 'directoryDestination: streamName must be'],
      [{ path: root, fsync: 1 }, 'directoryDestination: fsync must be true or false; got 1'],
      [{ path: root, prefix: 'a/!{nope:x}/' }, 'directoryDestination: prefix must be'],
      [
        { path: root, retryDurationMs: -1 },
        'directoryDestination: retryDurationMs must be a finite number ≥ 0 and ≤ 86400000 (ms); got -1',
      ],
    ];
    for (const [options, message] of cases) {
      expect(() => directoryDestination(options as never)).toThrow(InvalidOptionError);
      expect(() => directoryDestination(options as never)).toThrow(message);
    }
  });
});
