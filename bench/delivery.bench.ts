import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, reduce } from 'rxjs';
import { bufferBySizeOrTime, deliverTo } from '../operators/index.js';
import { compress } from '../src/codecs/compress.js';
import { DeliveryError } from '../src/destinations/DeliveryError.js';
import type { Destination, ErrorOutput } from '../src/destinations/Destination.js';
import { directoryDestination } from '../src/destinations/directory/index.js';
import type { ObjectStoreRequest } from '../src/destinations/objectStore/objectStoreDestination.js';
import { fromLines } from '../src/sources/lines/fromLines.js';
import type { FirehoseRecord } from '../src/records/FirehoseRecord.js';
import { baselineDeliverToDirectory } from './baselineDeliverLoop.js';
import { perSecond } from './measure.js';

const MIB = 1_048_576;
const TOTAL_BYTES = 64 * MIB;
const BATCH_BYTES = MIB;
const CONCURRENCY = 2;
const ROUNDS = 3;

function line(i: number): string {
  return (
    JSON.stringify({
      id: i,
      user: `user-${(i * 7919) % 10_007}`,
      event: i % 11 === 0 ? 'purchase' : 'click',
      page: `/p/${i % 997}`,
      ms: 1_700_000_000_000 + i,
    }) + '\n'
  );
}

function makeRecords(): { records: FirehoseRecord[]; batches: Uint8Array[][] } {
  const encoder = new TextEncoder();
  const records: FirehoseRecord[] = [];
  const batches: Uint8Array[][] = [[]];
  let total = 0;
  let inBatch = 0;
  for (let i = 0; total < TOTAL_BYTES; i++) {
    const data = encoder.encode(line(i));
    records.push({ recordId: String(i), data, approximateArrivalTimestamp: 1_700_000_000_000 + i });
    if (inBatch + data.byteLength > BATCH_BYTES) {
      batches.push([]);
      inBatch = 0;
    }
    batches[batches.length - 1]!.push(data);
    inBatch += data.byteLength;
    total += data.byteLength;
  }
  return { records, batches };
}

/** gzip alone: the same bytes, in the same 1 MiB batches, `CONCURRENCY` at a time. */
async function gzipAlone(batches: Uint8Array[][]): Promise<number> {
  let next = 0;
  let out = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) out += (await compress('GZIP', batches[next++]!)).byteLength;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}

async function pipeline(records: FirehoseRecord[], dir: string, fsync: boolean, concurrency: number): Promise<number> {
  const out = directoryDestination<FirehoseRecord>({ path: dir, compression: 'GZIP', fsync });
  return lastValueFrom(
    from(records).pipe(
      bufferBySizeOrTime({ maxBytes: BATCH_BYTES }),
      deliverTo(out, { concurrency }),
      reduce((n, r) => n + r.records.length, 0),
    ),
  );
}

/**
 * The same pipeline where the first send of every batch fails (as if its answer were lost), so every batch
 * is sent twice. Counts builds (each one compresses the batch) and sends: a retry resends the built bytes,
 * so builds stay at one per batch and the time stays near the pipeline's without failures.
 */
async function pipelineWithRetries(records: FirehoseRecord[], dir: string, counts: { builds: number; sends: number }): Promise<number> {
  const real = directoryDestination({ path: dir, compression: 'GZIP', fsync: false });
  const failedOnce = new WeakSet<object>();
  const flaky: Destination<ObjectStoreRequest> = {
    name: real.name,
    build: (batch, context) => {
      counts.builds++;
      return real.build(batch, context);
    },
    send: (request, attempt) => {
      counts.sends++;
      if (!failedOnce.has(request)) {
        failedOnce.add(request);
        return Promise.reject(new DeliveryError('Bench.Injected', 'the first send of every batch fails'));
      }
      return real.send(request, attempt);
    },
  };
  return lastValueFrom(
    from(records).pipe(
      bufferBySizeOrTime({ maxBytes: BATCH_BYTES }),
      deliverTo(flaky, { concurrency: CONCURRENCY, backoff: { initialMs: 0, jitter: 'full' }, random: () => 0 }),
      reduce((n, r) => n + r.records.length, 0),
    ),
  );
}

/** The same pipeline through the BASELINE loop of the previous engine's design (bench/baselineDeliverLoop.ts). */
async function baselinePipeline(records: FirehoseRecord[], dir: string, fsync: boolean, concurrency: number): Promise<number> {
  return lastValueFrom(
    from(records).pipe(
      bufferBySizeOrTime({ maxBytes: BATCH_BYTES }),
      baselineDeliverToDirectory({ path: dir, fsync, concurrency }),
      reduce((n, r) => n + r.records.length, 0),
    ),
  );
}

/**
 * Every record fails at the destination (permanently) and goes to the error output, a GZIP directory. With
 * `failFirstWrite`, the first send of every write of failure records fails, so each is sent twice. Counts
 * builds of failure writes (each one lays out and compresses) and their sends.
 */
async function pipelineToErrorOutput(
  records: FirehoseRecord[],
  dir: string,
  failFirstWrite: boolean,
  counts: { builds: number; sends: number },
): Promise<number> {
  const store = directoryDestination({ path: dir, compression: 'GZIP', fsync: false });
  const failedOnce = new WeakSet<object>();
  const errorOutput: ErrorOutput<ObjectStoreRequest> = {
    name: store.name,
    buildFailures: (failures, type, context) => {
      counts.builds++;
      return store.buildFailures(failures, type, context);
    },
    send: (request, attempt) => {
      counts.sends++;
      if (failFirstWrite && !failedOnce.has(request)) {
        failedOnce.add(request);
        return Promise.reject(new DeliveryError('Bench.Injected', 'the first write of every batch of failure records fails'));
      }
      return store.send(request, attempt);
    },
  };
  const refusing: Destination = {
    name: 'Refusing',
    build: (batch) => ({ request: { ids: [], items: batch.map((_r, i) => i), bytes: 0 } }),
    send: () => Promise.reject(new DeliveryError('Bench.Refused', 'every record is refused', { kind: 'permanent' })),
  };
  return lastValueFrom(
    from(records).pipe(
      bufferBySizeOrTime({ maxBytes: BATCH_BYTES }),
      deliverTo(refusing, { concurrency: CONCURRENCY, errorOutput, backoff: { initialMs: 0, jitter: 'full' }, random: () => 0 }),
      reduce((n, r) => n + r.failed.length, 0),
    ),
  );
}

async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function median(work: () => Promise<unknown>): Promise<number> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) times.push(await timeMs(work));
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/** A stream 20× larger than maxBytes × concurrency through fromLines → buffer → deliverTo: memory stays bounded. */
async function boundedMemory(dir: string): Promise<void> {
  const streamBytes = 20 * BATCH_BYTES * CONCURRENCY * 8; // 320 MiB
  const maxInFlightBytes = 8 * MIB;
  async function* lines(): AsyncGenerator<string> {
    let sent = 0;
    let i = 0;
    while (sent < streamBytes) {
      let chunk = '';
      while (chunk.length < 65_536) chunk += line(i++);
      sent += chunk.length;
      yield chunk;
    }
  }
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  let peakInFlight = 0;
  // Live heap: collect garbage first (needs --expose-gc, which npm run bench passes), then measure.
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampler = setInterval(() => {
    gc?.();
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 500);
  const out = directoryDestination<FirehoseRecord>({ path: dir, compression: 'GZIP', fsync: false });
  const start = process.hrtime.bigint();
  const delivered = await lastValueFrom(
    fromLines(lines(), { maxInFlightBytes, onInFlight: (b) => (peakInFlight = b.peakBytes) }).pipe(
      bufferBySizeOrTime({ maxBytes: BATCH_BYTES }),
      deliverTo(out, { concurrency: CONCURRENCY }),
      reduce((n, r) => n + r.bytes, 0),
    ),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  clearInterval(sampler);
  console.log(
    `  bounded memory: ${(delivered / MIB).toFixed(0)} MiB streamed (${(delivered / (BATCH_BYTES * CONCURRENCY)).toFixed(0)}× maxBytes × concurrency) ` +
      `with maxInFlightBytes ${maxInFlightBytes / MIB} MiB in ${(ms / 1000).toFixed(1)} s: ` +
      `peak in flight ${(peakInFlight / MIB).toFixed(1)} MiB, peak live heap +${((peakHeap - before.heapUsed) / MIB).toFixed(0)} MiB, ` +
      `peak RSS ${(peakRss / MIB).toFixed(0)} MiB`,
  );
}

export async function benchDelivery(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-bench-'));
  try {
    // First, while the heap is small: the live-heap samples collect garbage, which costs with a big heap.
    console.log('\nbounded memory: fromLines → bufferBySizeOrTime(1 MiB) → deliverTo(directory, GZIP, concurrency 2)');
    await boundedMemory(join(dir, 'c'));
    const { records, batches } = makeRecords();
    console.log(
      `\nrecords → bufferBySizeOrTime(1 MiB) → deliverTo(directory, GZIP) vs gzip alone (${CONCURRENCY} batches at a time, one per core): ` +
        `${records.length.toLocaleString('en')} records, ${TOTAL_BYTES / MIB} MiB, median of ${ROUNDS}`,
    );
    const gzipMs = await median(() => gzipAlone(batches));
    console.log(`  gzip alone                                ${perSecond(TOTAL_BYTES / MIB, gzipMs, 'MiB').padStart(14)}`);
    for (const [fsync, concurrency] of [
      [true, 2],
      [false, 2],
      [true, 4],
      [false, 4],
    ] as const) {
      const target = join(dir, `${fsync}-${concurrency}`);
      const ms = await median(async () => {
        await rm(target, { recursive: true, force: true });
        return pipeline(records, target, fsync, concurrency);
      });
      const label = `pipeline, fsync ${fsync ? 'on (default)' : 'off'}, concurrency ${concurrency}`;
      console.log(`  ${label.padEnd(42)}${perSecond(TOTAL_BYTES / MIB, ms, 'MiB').padStart(14)}   ratio ${(gzipMs / ms).toFixed(2)}×`);
    }

    // A retry of a compressed batch costs no compression: every batch sent twice, built once.
    const plainTarget = join(dir, 'plain');
    const plainMs = await median(async () => {
      await rm(plainTarget, { recursive: true, force: true });
      return pipeline(records, plainTarget, false, CONCURRENCY);
    });
    const counts = { builds: 0, sends: 0 };
    const retryTarget = join(dir, 'retry');
    const retryMs = await median(async () => {
      await rm(retryTarget, { recursive: true, force: true });
      counts.builds = 0;
      counts.sends = 0;
      return pipelineWithRetries(records, retryTarget, counts);
    });
    console.log(
      `  ${'pipeline, fsync off, every batch sent twice'.padEnd(42)}${perSecond(TOTAL_BYTES / MIB, retryMs, 'MiB').padStart(14)}   ` +
        `time ${(retryMs / plainMs).toFixed(2)}× the pipeline without retries; ${counts.builds} builds (compressions) for ${counts.sends} sends`,
    );

    // The same pipeline against a BASELINE of the previous engine's design (bench/baselineDeliverLoop.ts):
    // the same build and write in a bare mergeMap loop. Rounds alternate so load on the machine hits both.
    const engineTarget = join(dir, 'engine');
    const baselineTarget = join(dir, 'baseline');
    const ratios: number[] = [];
    let engineSum = 0;
    let baselineSum = 0;
    for (let round = 0; round < 2 * ROUNDS + 1; round++) {
      const runEngine = async (): Promise<number> => {
        await rm(engineTarget, { recursive: true, force: true });
        return timeMs(() => pipeline(records, engineTarget, false, CONCURRENCY));
      };
      const runBaseline = async (): Promise<number> => {
        await rm(baselineTarget, { recursive: true, force: true });
        return timeMs(() => baselinePipeline(records, baselineTarget, false, CONCURRENCY));
      };
      let engineMs: number;
      let baselineMs: number;
      if (round % 2 === 0) {
        engineMs = await runEngine();
        baselineMs = await runBaseline();
      } else {
        baselineMs = await runBaseline();
        engineMs = await runEngine();
      }
      if (round === 0) continue; // warm-up
      ratios.push(baselineMs / engineMs);
      engineSum += engineMs;
      baselineSum += baselineMs;
    }
    ratios.sort((a, b) => a - b);
    console.log(
      `  ${'engine v2 vs BASELINE loop (fsync off)'.padEnd(42)}${perSecond((TOTAL_BYTES / MIB) * ratios.length, engineSum, 'MiB').padStart(14)}   ` +
        `baseline ${perSecond((TOTAL_BYTES / MIB) * ratios.length, baselineSum, 'MiB')}; ratio baseline/engine time, median of ${ratios.length}: ` +
        `${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}×, of total times ${(baselineSum / engineSum).toFixed(2)}× (≥ 1: the engine is no slower)`,
    );

    // A retry of a compressed write of failure records costs no compression: built once, sent twice.
    const someRecords = records.slice(0, Math.floor(records.length / 4));
    const someMiB = TOTAL_BYTES / 4 / MIB;
    const clean = { builds: 0, sends: 0 };
    const flaky = { builds: 0, sends: 0 };
    const cleanTarget = join(dir, 'errors-clean');
    const flakyTarget = join(dir, 'errors-flaky');
    const cleanMs = await median(async () => {
      await rm(cleanTarget, { recursive: true, force: true });
      clean.builds = 0;
      clean.sends = 0;
      return pipelineToErrorOutput(someRecords, cleanTarget, false, clean);
    });
    const flakyMs = await median(async () => {
      await rm(flakyTarget, { recursive: true, force: true });
      flaky.builds = 0;
      flaky.sends = 0;
      return pipelineToErrorOutput(someRecords, flakyTarget, true, flaky);
    });
    console.log(
      `  ${`every record to the error output (${someMiB} MiB)`.padEnd(42)}${perSecond(someMiB, cleanMs, 'MiB').padStart(14)}   ` +
        `${clean.builds} builds for ${clean.sends} sends`,
    );
    console.log(
      `  ${'… every failure write sent twice'.padEnd(42)}${perSecond(someMiB, flakyMs, 'MiB').padStart(14)}   ` +
        `time ${(flakyMs / cleanMs).toFixed(2)}× the writes without retries; ${flaky.builds} builds (compressions) for ${flaky.sends} sends`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
