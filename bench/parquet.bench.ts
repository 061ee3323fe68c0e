import { Buffer } from 'node:buffer';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { compress } from '../src/codecs/compress.js';
import type { DataFormatConversion } from '../src/processing/parquet/DataFormatConversion.js';
import { parquetConversion } from '../src/processing/parquet/parquetConversion.js';
import type { ParquetColumn } from '../src/processing/parquet/ParquetColumn.js';

const MIB = 1_048_576;

const columns: ParquetColumn[] = [
  { name: 'id', type: 'bigint' },
  { name: 'user', type: 'string' },
  { name: 'path', type: 'string' },
  { name: 'status', type: 'int' },
  { name: 'latency', type: 'double' },
  { name: 'cached', type: 'boolean' },
  { name: 'at', type: 'timestamp' },
];

/** `count` JSON records of about 160 bytes, one line each, as a Direct PUT producer would send them. */
function records(count: number): Array<{ data: Uint8Array }> {
  return Array.from({ length: count }, (_, i) => ({
    data: Buffer.from(
      `${JSON.stringify({
        id: i,
        user: `user-${i % 5_000}`,
        path: `/shop/item/${i % 997}?ref=${i % 13}`,
        status: i % 50 === 0 ? 500 : 200,
        latency: (i % 1000) / 7,
        cached: i % 3 === 0,
        at: 1_764_676_212_000 + i,
      })}\n`,
    ),
  }));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Run {
  readonly ms: number;
  /** The event loop's longest delay and 99th percentile while the run went on, in ms. */
  readonly maxDelayMs: number;
  readonly p99DelayMs: number;
}

/**
 * Runs `work` once, timing it and sampling the event loop's delay meanwhile with `monitorEventLoopDelay`
 * (10 ms resolution): how long a timer or a socket of the same process waits behind the work.
 */
async function measured(work: () => Promise<unknown>): Promise<Run> {
  (globalThis as { gc?: () => void }).gc?.();
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, 30)); // a few samples of an idle loop first
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  await new Promise((resolve) => setTimeout(resolve, 30));
  histogram.disable();
  return { ms, maxDelayMs: histogram.max / 1e6, p99DelayMs: histogram.percentile(99) / 1e6 };
}

/**
 * Record format conversion: two batches of JSON records (about 6.5 MiB each) given at once, as `deliverTo`
 * builds several batches at once, each to one Parquet file (parse, check against the schema, write with
 * SNAPPY or GZIP pages), on one worker thread (which starts for the first batch and takes the second
 * after it) and on the event loop (`workerThreads: 0`), against writing the same records as gzip JSON
 * objects (level 6, the S3 destination's default, on libuv's thread pool), in the same process, rounds
 * alternating, medians. MiB/s count the JSON input; the event loop's delay is what the rest of the process
 * sees meanwhile.
 */
export async function benchParquet(): Promise<void> {
  const batch = records(50_000);
  const inputMiB = (2 * batch.reduce((n, r) => n + r.data.byteLength, 0)) / MIB;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const convert = (conversion: DataFormatConversion) => () =>
    Promise.all(
      [0, 1].map(async () => {
        // A fresh copy each time, as a new batch would be: files kept by check() must not carry over.
        const fresh = batch.map((r) => ({ data: r.data }));
        await conversion.check(fresh);
        return conversion.encode(fresh);
      }),
    );
  const gzip = () =>
    Promise.all(
      [0, 1].map(() =>
        compress(
          'GZIP',
          batch.map((r) => r.data),
        ),
      ),
    );
  const ways: Array<[string, () => Promise<unknown>]> = [['gzip JSON', gzip]];
  for (const compression of ['SNAPPY', 'GZIP'] as const) {
    ways.push([`Parquet ${compression} in-process`, convert(parquetConversion({ columns, compression, workerThreads: 0 }))]);
    ways.push([`Parquet ${compression} worker`, convert(parquetConversion({ columns, compression, workerThreads: 1 }))]);
  }
  for (const [, work] of ways) await work(); // warm up: modules loaded, code compiled
  const runs = new Map<string, Run[]>(ways.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) for (const [name, work] of ways) runs.get(name)!.push(await measured(work));

  const summary = new Map(
    [...runs].map(([name, list]) => [
      name,
      {
        ms: median(list.map((r) => r.ms)),
        maxDelayMs: median(list.map((r) => r.maxDelayMs)),
        p99DelayMs: median(list.map((r) => r.p99DelayMs)),
      },
    ]),
  );
  const gzipMs = summary.get('gzip JSON')!.ms;
  console.log(
    `record format conversion, two batches at once, ${inputMiB.toFixed(1)} MiB of JSON records, median of ${rounds} alternating rounds:`,
  );
  for (const [name, s] of summary) {
    const rate = `${(inputMiB / (s.ms / 1000)).toFixed(1)} MiB/s`;
    const vsGzip = name === 'gzip JSON' ? '' : ` (${(gzipMs / s.ms).toFixed(2)} × gzip JSON)`;
    console.log(
      `  ${name.padEnd(28)} ${rate}${vsGzip}; event loop delay max ${s.maxDelayMs.toFixed(0)} ms, p99 ${s.p99DelayMs.toFixed(0)} ms`,
    );
  }
  for (const compression of ['SNAPPY', 'GZIP']) {
    const here = summary.get(`Parquet ${compression} in-process`)!;
    const there = summary.get(`Parquet ${compression} worker`)!;
    console.log(
      `  Parquet ${compression}: worker ÷ in-process: speed ${(here.ms / there.ms).toFixed(2)} ×, longest event loop delay ${(there.maxDelayMs / here.maxDelayMs).toFixed(3)} ×`,
    );
  }
}
