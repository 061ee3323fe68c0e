import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { Agent, createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readBodyChunks } from '../src/protocols/readBodyChunks.js';
import { DeliveryStreamRegistry } from '../src/server/DeliveryStreamRegistry.js';
import { firehoseApiListener } from '../src/server/firehoseApiListener.js';
import { scanPutRecordBatch } from '../src/server/scanPutRecordBatch.js';
import { settleRecord } from '../src/settlement/settleRecord.js';
import { openDirectPut } from '../src/sources/directPut/openDirectPut.js';

const MIB = 1_048_576;
const RECORDS_PER_REQUEST = 500;
const RECORD_BYTES = 1024;
const CONCURRENCY = 8;
const REQUESTS = 240; // 120,000 records, 117 MiB of record data per run
const DISTINCT_BODIES = 16;
/** Firehose's default quota per delivery stream: 5 MiB/s. */
const QUOTA_BYTES_PER_S = 5 * MIB;

/** A PutRecordBatch body as an SDK sends it: 500 records of 1 KiB (JSON lines of varied content), base64 in JSON. */
function body(seed: number): Buffer {
  const records = Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => {
    const n = seed * RECORDS_PER_REQUEST + i;
    const head = JSON.stringify({
      id: n,
      user: `user-${(n * 7919) % 10_007}`,
      event: n % 11 === 0 ? 'purchase' : 'click',
      page: `/p/${(n * 31) % 997}`,
      ms: 1_700_000_000_000 + n,
      pad: '',
    });
    const pad = Array.from({ length: RECORD_BYTES - head.length - 1 }, (_, j) => String.fromCharCode(97 + ((n * 13 + j * 7) % 26))).join(
      '',
    );
    return { Data: Buffer.from(`${head.slice(0, -2)}${pad}"}\n`).toString('base64') };
  });
  return Buffer.from(JSON.stringify({ DeliveryStreamName: 'bench', Records: records }));
}

/** What a load run saw: its wall time, and the records the server answered "Slow down." (then sent again). */
interface LoadRun {
  readonly ms: number;
  /** CPU time of the whole process (every thread: client, server, log, compression) during the run. */
  readonly cpuMs: number;
  /** CPU time of the main thread alone (JavaScript: client, server, pipeline; not compression or disk on the pool), where Linux tells it. */
  readonly mainCpuMs: number;
  readonly throttled: number;
}

/**
 * Sends `REQUESTS` requests, `CONCURRENCY` at a time on kept-alive connections. Records answered
 * `ServiceUnavailableException` are sent again after 20 ms in a request of their own, as an SDK client's retry
 * would: the run ends when every record was accepted, so its time is that of accepting them all.
 */
async function load(endpoint: { port: number }, bodies: readonly Buffer[]): Promise<LoadRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  let throttled = 0;
  const send = (payload: Buffer): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: endpoint.port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'Content-Type': 'application/x-amz-json-1.1',
            'X-Amz-Target': 'Firehose_20150804.PutRecordBatch',
            'Content-Length': payload.byteLength,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c));
          res.on('end', () =>
            res.statusCode === 200 ? resolve(text) : reject(new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  /** Sends `payload` until all of its records are accepted. */
  const deliver = async (payload: Buffer): Promise<void> => {
    for (;;) {
      const text = await send(payload);
      if (!text.includes('"ErrorCode"')) return;
      const { RequestResponses } = JSON.parse(text) as { RequestResponses: Array<{ ErrorCode?: string }> };
      const { DeliveryStreamName, Records } = JSON.parse(payload.toString('utf8')) as { DeliveryStreamName: string; Records: unknown[] };
      const again = Records.filter((_, i) => RequestResponses[i]!.ErrorCode !== undefined);
      throttled += again.length;
      payload = Buffer.from(JSON.stringify({ DeliveryStreamName, Records: again }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const mainCpu = mainThreadCpuMs();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) await deliver(bodies[next++ % bodies.length]!);
    }),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  agent.destroy();
  return { ms, cpuMs: cpuMsSince(cpu), mainCpuMs: mainThreadCpuMs() - mainCpu, throttled };
}

/** The main thread's CPU time in ms (Linux: /proc/self/task/<pid>/stat, in clock ticks of 10 ms); NaN elsewhere. */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU ms that Node's base64 decoder alone takes for the records of `bodies`, sent `REQUESTS` times: one step the server cannot skip. */
function base64DecodeCpuMs(bodies: readonly Buffer[]): number {
  const texts = bodies.map((b) => (JSON.parse(b.toString('utf8')) as { Records: Array<{ Data: string }> }).Records.map((r) => r.Data));
  const out = Buffer.allocUnsafe(RECORDS_PER_REQUEST * RECORD_BYTES);
  const cpu = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    let at = 0;
    for (const text of texts[i % texts.length]!) at += out.write(text, at, 'base64');
  }
  return cpuMsSince(cpu);
}

/**
 * CPU ms that GZIP at level 6 alone (the stream's compression, zlib's default) takes for the records of one run,
 * in 5 MiB batches as the stream's buffer makes them: work the delivery must do while records arrive.
 */
function gzipCpuMs(bodies: readonly Buffer[]): number {
  const datas = bodies.map((b) =>
    Buffer.concat(
      (JSON.parse(b.toString('utf8')) as { Records: Array<{ Data: string }> }).Records.map((r) => Buffer.from(r.Data, 'base64')),
    ),
  );
  const perBatch = Math.floor((5 * MIB) / (RECORDS_PER_REQUEST * RECORD_BYTES));
  const cpu = process.cpuUsage();
  for (let request = 0; request < REQUESTS; request += perBatch) {
    const batch = Array.from({ length: Math.min(perBatch, REQUESTS - request) }, (_, i) => datas[(request + i) % datas.length]!);
    gzipSync(Buffer.concat(batch), { level: 6 });
  }
  return cpuMsSince(cpu);
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

async function listen(listener: RequestListener): Promise<Server> {
  const server = createServer({ keepAliveTimeout: 60_000 }, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A server that reads each request's body, discards it and answers a fixed PutRecordBatch answer: the baseline. */
const bare: RequestListener = (req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    const answer = '{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[]}';
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': answer.length });
    res.end(answer);
  });
};

/**
 * A bare server that also makes each body durable before answering: appends it to one file and answers once
 * an `fdatasync` begun after its write returned (the simplest group commit: every request that arrived during
 * one write and sync shares the next). The floor of any server whose answer means "on disk".
 */
async function durableBare(path: string): Promise<{ listener: RequestListener; close: () => Promise<void> }> {
  const file = await open(path, 'a');
  let waiting: Array<{ chunks: Buffer[]; answer: () => void }> = [];
  let committing: Promise<void> | undefined;
  const commit = async (): Promise<void> => {
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      const chunks = group.flatMap((w) => w.chunks);
      const bytes = chunks.reduce((n, c) => n + c.byteLength, 0);
      const { bytesWritten } = await file.writev(chunks);
      if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
      await file.datasync();
      for (const w of group) w.answer();
    }
    committing = undefined;
  };
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      waiting.push({
        chunks,
        answer: () => {
          const answer = '{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[]}';
          res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': answer.length });
          res.end(answer);
        },
      });
      committing ??= commit();
    });
  };
  return { listener, close: () => file.close() };
}

/** The bare durable server for one run, in a fresh directory. */
async function runDurableBare(bodies: readonly Buffer[]): Promise<LoadRun> {
  const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-bench-durable-bare-'));
  try {
    const { listener, close } = await durableBare(join(dir, 'bodies'));
    const server = await listen(listener);
    const run = await load(server.address() as AddressInfo, bodies);
    server.close();
    await close();
    return run;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The API and the write-ahead log alone: the direct-PUT source behind firehoseApiListener's hot path (scan the
 * body, put its records, answer each record's id), every record settled as soon as it is emitted: no pipeline,
 * no delivery. What accepting costs before anything is delivered.
 */
async function runLogOnly(bodies: readonly Buffer[]): Promise<LoadRun> {
  const logDir = await mkdtemp(join(tmpdir(), 'rx-firehose-bench-log-only-'));
  try {
    const source = await openDirectPut({
      logDir,
      streamName: 'bench',
      maxInFlightBytes: 4 * REQUESTS * RECORDS_PER_REQUEST * RECORD_BYTES,
    });
    source.records.subscribe((record) => settleRecord(record, 'delivered'));
    const server = await listen((req, res) => {
      void readBodyChunks(req, 8 * MIB).then(async ({ chunks }) => {
        const answer = JSON.stringify(await source.putRecordBatch(scanPutRecordBatch(chunks)!.Records));
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(answer) });
        res.end(answer);
      });
    });
    const run = await load(server.address() as AddressInfo, bodies);
    server.close();
    await source.close();
    await source.closeLog();
    return run;
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }
}

/** One run of rx-firehose's API server: acknowledged (every record accepted) and delivered (drained). */
interface ServerRun extends LoadRun {
  readonly deliveredMs: number;
  readonly deliveredCpuMs: number;
  readonly peakInFlightBytes: number;
  readonly logSyncs: number;
}

/** Opens a registry with one GZIP stream to the data directory, serves its API, loads it, then drains it. */
async function runServer(bodies: readonly Buffer[], maxInFlightBytes: number | undefined): Promise<ServerRun> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rx-firehose-bench-direct-put-'));
  try {
    const registry = await DeliveryStreamRegistry.open({ dataDir, ...(maxInFlightBytes === undefined ? {} : { maxInFlightBytes }) });
    await registry.create({
      DeliveryStreamName: 'bench',
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        BucketARN: 'arn:aws:s3:::bench',
        CompressionFormat: 'GZIP',
        BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
      },
    });
    const source = registry.stream('bench').source!;
    const server = await listen(firehoseApiListener(registry));
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const acked = await load(server.address() as AddressInfo, bodies);
    const peakInFlightBytes = source.budget.peakBytes;
    const logSyncs = source.logSyncs;
    await registry.close(); // delivers everything accepted: the last buffer, compressed and written
    const deliveredMs = Number(process.hrtime.bigint() - start) / 1e6;
    const deliveredCpuMs = cpuMsSince(cpu);
    server.close();
    return { ...acked, deliveredMs, deliveredCpuMs, peakInFlightBytes, logSyncs };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROUNDS = 3;

/**
 * PutRecordBatch (500 × 1 KiB, 8 at a time) to `rx-firehose serve`'s API with the write-ahead log on, delivered
 * to the data directory with GZIP, against a bare HTTP server that reads and discards the same requests;
 * rounds alternate, medians. Two budgets: one that holds the whole run (what the API and the log cost: records
 * are acknowledged as fast as they are made durable), and the default 64 MiB (the sustained rate: once 64 MiB
 * wait for delivery, records are throttled and sent again, so acknowledgement runs at the speed of delivery).
 * For the bound (not goals): a bare server that also makes each body durable (the floor of any answer that
 * means "on disk"), the API and the log with no delivery behind them, and the CPU of base64 and of GZIP alone.
 */
export async function benchDirectPut(): Promise<void> {
  const bodies = Array.from({ length: DISTINCT_BODIES }, (_, i) => body(i));
  const recordBytes = REQUESTS * RECORDS_PER_REQUEST * RECORD_BYTES;
  const records = REQUESTS * RECORDS_PER_REQUEST;

  const bareServer = await listen(bare);
  await load(bareServer.address() as AddressInfo, bodies); // warm-up
  const bareRuns: LoadRun[] = [];
  const ingest: ServerRun[] = [];
  const sustained: ServerRun[] = [];
  const durableBareRuns: LoadRun[] = [];
  const logOnly: LoadRun[] = [];
  const decodeCpu: number[] = [];
  const gzipCpu: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await load(bareServer.address() as AddressInfo, bodies));
    durableBareRuns.push(await runDurableBare(bodies));
    logOnly.push(await runLogOnly(bodies));
    ingest.push(await runServer(bodies, 4 * recordBytes));
    sustained.push(await runServer(bodies, undefined));
    decodeCpu.push(base64DecodeCpuMs(bodies));
    gzipCpu.push(gzipCpuMs(bodies));
  }
  bareServer.close();

  const mibPerS = (ms: number): number => recordBytes / MIB / (ms / 1000);
  const rate = (ms: number): string => `${(((records / ms) * 1000) / 1000).toFixed(0)} k records/s, ${mibPerS(ms).toFixed(1)} MiB/s`;
  /** CPU time per record sent (client included, as in the bare server's figure). */
  const perRecord = (ms: number): string => `${((ms * 1000) / records).toFixed(2)} µs/record`;
  const bareMedian = median(bareRuns.map((r) => r.ms));
  const bareCpu = median(bareRuns.map((r) => r.cpuMs));
  const durableMedian = median(durableBareRuns.map((r) => r.ms));
  /** A run's rate, against both baselines, and its CPU. */
  const acknowledged = (runs: LoadRun[]): string => {
    const ms = median(runs.map((r) => r.ms));
    const cpuMs = median(runs.map((r) => r.cpuMs));
    const mainCpuMs = median(runs.map((r) => r.mainCpuMs));
    return `${rate(ms)}  (${(bareMedian / ms).toFixed(2)}× the bare server, ${(durableMedian / ms).toFixed(2)}× the durable one; CPU ${(cpuMs / 1000).toFixed(2)} s, ${perRecord(cpuMs)}; main thread ${(mainCpuMs / 1000).toFixed(2)} s, ${perRecord(mainCpuMs)}`;
  };
  const report = (label: string, runs: ServerRun[]): void => {
    const ackMs = median(runs.map((r) => r.ms));
    const deliveredMs = median(runs.map((r) => r.deliveredMs));
    const cpuMs = median(runs.map((r) => r.cpuMs));
    const mainCpuMs = median(runs.map((r) => r.mainCpuMs));
    console.log(
      `  ${label}: acknowledged ${rate(ackMs)}  (${(bareMedian / ackMs).toFixed(2)}× the bare server, ${(durableMedian / ackMs).toFixed(2)}× the durable one; CPU ${(cpuMs / 1000).toFixed(2)} s, ${(cpuMs / bareCpu).toFixed(2)}× the bare server's, ${perRecord(cpuMs)}; main thread ${(mainCpuMs / 1000).toFixed(2)} s, ${perRecord(mainCpuMs)}; throttled and sent again: ${median(runs.map((r) => r.throttled))} records; peak in flight ${(median(runs.map((r) => r.peakInFlightBytes)) / MIB).toFixed(0)} MiB; ${median(runs.map((r) => r.logSyncs))} group commits for ${REQUESTS}+ requests)`,
    );
    console.log(
      `    … delivered to the data directory with GZIP: ${rate(deliveredMs)}, CPU ${(median(runs.map((r) => r.deliveredCpuMs)) / 1000).toFixed(2)} s  (${(mibPerS(deliveredMs) / (QUOTA_BYTES_PER_S / MIB)).toFixed(1)}× Firehose's 5 MiB/s quota)`,
    );
  };
  console.log(
    `\ndirect PUT: PutRecordBatch ${RECORDS_PER_REQUEST} × ${RECORD_BYTES} B, ${CONCURRENCY} concurrent, ${REQUESTS} requests (${(recordBytes / MIB).toFixed(0)} MiB of records), medians of ${ROUNDS} alternating rounds`,
  );
  console.log(
    `  bare HTTP server (read and discard): ${rate(bareMedian)}, CPU ${(bareCpu / 1000).toFixed(2)} s (client and server), ${perRecord(bareCpu)}, main thread ${(median(bareRuns.map((r) => r.mainCpuMs)) / 1000).toFixed(2)} s, ${perRecord(median(bareRuns.map((r) => r.mainCpuMs)))}`,
  );
  console.log(`  bare durable server (also appends each body to a file, group commit with fdatasync): ${acknowledged(durableBareRuns)})`);
  console.log(
    `  for reference: Node's base64 decoder alone takes ${(median(decodeCpu) / 1000).toFixed(2)} s of CPU for these records, GZIP at level 6 alone ${(median(gzipCpu) / 1000).toFixed(2)} s`,
  );
  console.log(
    `  rx-firehose's API and write-ahead log alone (records settled as emitted: no delivery): acknowledged ${acknowledged(logOnly)})`,
  );
  report(`rx-firehose serve API, WAL on, budget ${((4 * recordBytes) / MIB).toFixed(0)} MiB (holds the run)`, ingest);
  report('rx-firehose serve API, WAL on, default budget 64 MiB', sustained);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchDirectPut();
