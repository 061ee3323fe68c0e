import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverTo, directoryDestination, parquetConversion } from '../../../src/index.js';
import { conversionPool } from '../../../src/processing/parquet/conversionPool.js';
import type { ConversionSettings } from '../../../src/processing/parquet/convertBatch.js';
import { pooledConversion } from '../../../src/processing/parquet/pooledConversion.js';
import type { DataFormatConversion } from '../../../src/processing/parquet/DataFormatConversion.js';
import { filesUnder } from '../../config/support.js';
import { useDuckDb } from './readParquet.js';

const duck = useDuckDb();
const utf8 = new TextEncoder();

const columns = [
  { name: 'user', type: 'string' },
  { name: 'clicks', type: 'int' },
  { name: 'price', type: 'decimal(10,2)' },
  { name: 'tags', type: 'array<string>' },
] as const;
const settings: ConversionSettings = { columns, compression: 'SNAPPY', caseInsensitive: true, pageSizeBytes: 1 << 20 };

/** `n` records (every 1000th one a schema mismatch), as Buffers: views into Node's shared pool, as records usually are. */
function batchOf(n: number): Array<{ data: Buffer }> {
  return Array.from({ length: n }, (_, i) => ({
    data: Buffer.from(
      JSON.stringify({
        user: `user-${i % 5000}`,
        clicks: i % 1000 === 999 ? 'many' : i,
        price: (i % 10_000) / 100,
        tags: ['a', `t${i % 7}`],
      }),
    ),
  }));
}

/** How many event loop turns (setImmediate callbacks) ran while `work` was in flight. */
async function turnsWhile<T>(work: () => Promise<T>): Promise<{ turns: number; result: T }> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const result = await work().finally(() => {
    done = true;
  });
  return { turns, result };
}

describe('parquetConversion on worker threads', () => {
  it('should keep the event loop turning while a batch converts on a worker, where in-process conversion holds it, with the same results', async () => {
    const batch = batchOf(20_000);
    const inProcess = parquetConversion({ columns: [...columns], workerThreads: 0 });
    const onWorker = parquetConversion({ columns: [...columns], workerThreads: 1 });
    await inProcess.check(batchOf(1)); // loads the writer on this thread first: what is measured is conversion alone

    const here = await turnsWhile(() => inProcess.check(batch));
    const there = await turnsWhile(() => onWorker.check(batch));
    expect(here.turns).toBe(0);
    expect(there.turns).toBeGreaterThan(0);

    expect(there.result).toEqual(here.result);
    expect(here.result.failed).toHaveLength(20);
    expect(here.result.failed[0]).toEqual({
      index: 999,
      errorCode: 'DataFormatConversion.SchemaMismatch',
      errorMessage: 'field "clicks": "many" is not a int',
      retriable: false,
    });
    const delivered = here.result.items.map((i) => batch[i]!);
    const [fileHere, fileThere] = [await inProcess.encode(delivered), await onWorker.encode(delivered)];
    expect(Buffer.from(fileThere).equals(Buffer.from(fileHere))).toBe(true);
    const back = await duck.read(fileThere);
    expect(back.rows).toHaveLength(19_980);
    expect(back.rows[1]).toEqual({ user: 'user-1', clicks: 1, price: 0.01, tags: ['a', 't1'] });
  }, 120_000);

  it('should run at most workerThreads threads, start them when batches wait, and keep them for the next batch', async () => {
    const pool = conversionPool({ size: 2 });
    const records = batchOf(100).map((r) => r.data);
    const converting = [1, 2, 3].map(() => pool.convert(settings, records));
    expect(pool.threads).toBe(2); // three batches wait, two threads start
    expect((await Promise.all(converting)).map((r) => r.files.length)).toEqual([1, 1, 1]);
    expect(pool.threads).toBe(2); // idle, waiting for the next batch (without keeping the process alive: see below)
    await pool.convert(settings, records);
    expect(pool.threads).toBe(2);
  }, 60_000);

  it('should stop idle threads at once with idleMs 0', async () => {
    const pool = conversionPool({ size: 2, idleMs: 0 });
    const records = batchOf(100).map((r) => r.data);
    const converting = [1, 2].map(() => pool.convert(settings, records));
    expect(pool.threads).toBe(2);
    await Promise.all(converting);
    expect(pool.threads).toBe(0);
  }, 60_000);

  it('should stop an idle thread idleMs after its last batch, on the injected scheduler, and keep it while batches come', async () => {
    const scheduler = new TestScheduler(() => undefined);
    /** Runs what is scheduled up to virtual time `ms` (flush stops at maxFrames). */
    const advanceTo = (ms: number): void => {
      scheduler.maxFrames = ms;
      scheduler.schedule(() => undefined, ms - scheduler.now());
      scheduler.flush();
    };
    const pool = conversionPool({ size: 1, idleMs: 1_000, scheduler });
    const records = batchOf(100).map((r) => r.data);
    await pool.convert(settings, records);
    expect(pool.threads).toBe(1);
    advanceTo(999); // idle for 999 ms: still there
    expect(pool.threads).toBe(1);
    await pool.convert(settings, records); // a batch cancels its stop
    advanceTo(1_998);
    expect(pool.threads).toBe(1);
    advanceTo(1_999); // 1,000 ms after the second batch
    expect(pool.threads).toBe(0);
  }, 60_000);

  it('should end a process that converted batches on worker threads when its pipeline ends: idle threads keep no process alive', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-parquet-exit-'));
    try {
      const script = join(dir, 'pipeline.mts');
      const index = pathToFileURL(resolve('src/index.ts')).href;
      const rxjs = pathToFileURL(createRequire(import.meta.url).resolve('rxjs')).href; // the copy src/ imports
      await writeFile(
        script,
        `import { from } from ${JSON.stringify(rxjs)};
import { bufferBySizeOrTime, deliverTo, directoryDestination, parquetConversion, toRecords } from ${JSON.stringify(index)};
const lake = directoryDestination({ path: ${JSON.stringify(join(dir, 'lake'))}, dataFormatConversion: parquetConversion({ columns: [{ name: 'a', type: 'int' }], workerThreads: 2 }), fsync: false });
from(['{"a":1}', '{"a":2}', '{"a":3}']).pipe(toRecords(), bufferBySizeOrTime({ maxBytes: 8 }), deliverTo(lake, { errorOutput: lake })).subscribe((r) => console.log(r.status));
`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise<number | null>((done) => child.on('exit', done));
      expect(out.trim().split('\n')).toEqual(['delivered', 'delivered', 'delivered']);
      expect(code).toBe(0);
      expect([...(await filesUnder(join(dir, 'lake'))).keys()].filter((k) => k.endsWith('.parquet'))).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('conversion worker failures', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-parquet-worker-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Warnings the process emits while `work` runs (and one turn after: they are emitted on the next tick). */
  async function warningsWhile(work: () => Promise<unknown>): Promise<Array<{ name: string; message: string; code?: string }>> {
    const seen: Array<{ name: string; message: string; code?: string }> = [];
    const listener = (w: Error & { code?: string }): void => {
      seen.push({ name: w.name, message: w.message, ...(w.code === undefined ? {} : { code: w.code }) });
    };
    process.on('warning', listener);
    try {
      await work();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listener);
    }
    return seen;
  }

  it.each([
    ['has no entry file', async () => pathToFileURL(join(dir, 'missing.js')), /ENOENT|Cannot find module|not found/i],
    [
      'cannot load its entry',
      async () => {
        const file = join(dir, 'broken.mjs');
        await writeFile(file, 'throw new Error("cannot load the converter");\n');
        return pathToFileURL(file);
      },
      /cannot load the converter/,
    ],
  ])(
    'should convert in-process when the worker %s, saying so once, losing no batch',
    async (_what, entry, reason) => {
      const pool = conversionPool({ size: 1, workerFile: await entry(), idleMs: 0 });
      const records = batchOf(50).map((r) => r.data);
      const expected = await conversionPool({ size: 0 }).convert(settings, records);
      let results: unknown[] = [];
      const warnings = await warningsWhile(async () => {
        results = await Promise.all([pool.convert(settings, records), pool.convert(settings, records)]);
        results.push(await pool.convert(settings, records));
      });
      expect(results).toEqual([expected, expected, expected]);
      expect(warnings).toEqual([
        { name: 'ParquetConversionWarning', code: 'RX_FIREHOSE_PARQUET_IN_PROCESS', message: expect.stringMatching(reason) },
      ]);
      expect(pool.threads).toBe(0);
    },
    60_000,
  );

  it('should fail a batch whose worker stops while converting it to the error output, as a build failure, and convert the next on a new worker', async () => {
    // A worker over its memory limit is stopped by Node: the batch it held cannot be converted there.
    const pool = conversionPool({ size: 1, idleMs: 0, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    const conversion: DataFormatConversion = pooledConversion(settings, pool);
    const lake = directoryDestination({ path: dir, dataFormatConversion: conversion, fsync: false });
    const big = batchOf(200_000).map((r) => r.data.toString());
    const small = ['{"user":"after"}'];
    const record = (data: string, i: number) => ({ recordId: `r${i}`, data: Buffer.from(data), approximateArrivalTimestamp: 1_000 });
    const results = await lastValueFrom(
      from([big.map(record), small.map(record)]).pipe(deliverTo(lake, { errorOutput: lake, concurrency: 1 }), toArray()),
    );
    expect(results.map((r) => r.status)).toEqual(['failed-to-error-output', 'delivered']);
    expect(results[0]!.failed).toHaveLength(200_000);
    expect(results[0]).toMatchObject({
      errorCode: 'Directory.BuildFailed',
      errorMessage: expect.stringMatching(/^the Parquet conversion worker thread stopped while converting the batch \(.*memory limit/),
    });
    const files = await filesUnder(dir);
    const failureKeys = [...files.keys()].filter((k) => k.startsWith('format-conversion-failed/'));
    const failureLines = failureKeys.flatMap((k) => files.get(k)!.toString('utf8').trim().split('\n'));
    expect(failureLines).toHaveLength(200_000);
    expect(JSON.parse(failureLines[0]!)).toMatchObject({
      errorCode: 'Directory.BuildFailed',
      rawData: Buffer.from(big[0]!).toString('base64'),
    });
    const parquet = [...files.keys()].filter((k) => k.endsWith('.parquet'));
    expect(parquet).toHaveLength(1);
    expect((await duck.read(files.get(parquet[0]!)!)).rows.map((r) => r.user)).toEqual(['after']);
    expect(pool.threads).toBe(0);
  }, 180_000);
});
