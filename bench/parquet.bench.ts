import { Buffer } from 'node:buffer';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { compress } from '../src/codecs/compress.js';
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

async function medianMs(work: () => Promise<unknown>, rounds: number): Promise<number> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * How long the event loop was blocked while `work` ran: the longest delay and the 99th percentile in ms,
 * sampled by `monitorEventLoopDelay` (10 ms resolution), as a timer or a socket waiting behind it sees it.
 */
async function eventLoopDelayMs(work: () => Promise<unknown>): Promise<{ maxMs: number; p99Ms: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, 50)); // a few samples of an idle loop first
  await work();
  await new Promise((resolve) => setTimeout(resolve, 50));
  histogram.disable();
  return { maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6 };
}

/**
 * Record format conversion: one batch of JSON records (about 16 MiB) to one Parquet file (parse, check
 * against the schema, write with SNAPPY or GZIP pages), against writing the same records as a gzip JSON
 * object (level 6, the S3 destination's default), in the same process. MiB/s count the JSON input.
 */
export async function benchParquet(): Promise<void> {
  const batch = records(100_000);
  const inputMiB = batch.reduce((n, r) => n + r.data.byteLength, 0) / MIB;
  const gzipMs = await medianMs(
    () =>
      compress(
        'GZIP',
        batch.map((r) => r.data),
      ),
    3,
  );
  const rate = (ms: number) => `${(inputMiB / (ms / 1000)).toFixed(1)} MiB/s`;
  const lines = [`gzip JSON ${rate(gzipMs)}`];
  for (const compression of ['SNAPPY', 'GZIP'] as const) {
    const parquet = parquetConversion({ columns, compression });
    const ms = await medianMs(async () => {
      // A fresh copy each round, as a new batch would be: rows cached by check() must not carry over.
      const fresh = batch.map((r) => ({ data: r.data }));
      parquet.check(fresh);
      return parquet.encode(fresh);
    }, 3);
    lines.push(`Parquet ${compression} ${rate(ms)} (${(gzipMs / ms).toFixed(2)} × gzip JSON)`);
  }
  console.log(`record format conversion, ${inputMiB.toFixed(1)} MiB of JSON records: ${lines.join('; ')}`);

  // The event loop while one batch converts: gzip (Node's zlib stream, in libuv's thread pool) against
  // Parquet (parsing, checking and writing in JavaScript, on the event loop). See docs/parquet.md.
  const gzipDelay = await eventLoopDelayMs(() =>
    compress(
      'GZIP',
      batch.map((r) => r.data),
    ),
  );
  const parquet = parquetConversion({ columns, compression: 'SNAPPY' });
  const parquetDelay = await eventLoopDelayMs(async () => {
    const fresh = batch.map((r) => ({ data: r.data }));
    parquet.check(fresh);
    return parquet.encode(fresh);
  });
  const show = (d: { maxMs: number; p99Ms: number }) => `max ${d.maxMs.toFixed(0)} ms, p99 ${d.p99Ms.toFixed(0)} ms`;
  console.log(
    `event loop delay while ${inputMiB.toFixed(1)} MiB convert: gzip JSON ${show(gzipDelay)}; Parquet SNAPPY ${show(parquetDelay)} ` +
      `(${(parquetDelay.maxMs / Math.max(gzipDelay.maxMs, 1)).toFixed(0)} × gzip's longest block)`,
  );
}
