import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aggregate } from '../test/sources/kinesis/kplEncoder.js';
import { createStream, kinesisClientFor, putRecords } from '../test/support/kinesalite.js';
import { startLineProcess } from '../test/support/startLineProcess.js';
import { perSecond } from './measure.js';
import { startServers } from './startServers.js';

const here = dirname(fileURLToPath(import.meta.url));
const SHARDS = 12;
/**
 * Kinesis records, each a KPL aggregate of SUB_RECORDS user records of RECORD_BYTES: 480,000 user records,
 * about 5 s of one worker's work here, so that start-up (≈ 2 s from GO to the first batch: the lease table,
 * taking leases, kinesalite's first 10 MB responses) and lease balancing do not make the figure. With 120,000
 * records, the run was mostly start-up, and two and three workers measured 0.57–0.69× one worker.
 */
const KINESIS_RECORDS = 4_800;
const SUB_RECORDS = 100;
const RECORDS = KINESIS_RECORDS * SUB_RECORDS;
const RECORD_BYTES = 256;

/** A JSON line of about RECORD_BYTES that compresses like application logs (≈ 4:1), not like a run of one byte. */
function logLine(i: number): Buffer {
  const words = [
    'GET',
    'POST',
    '/api/orders',
    '/api/users',
    'status=200',
    'status=404',
    'latency_ms=',
    'region=eu-west-1',
    'user_agent=Mozilla/5.0',
  ];
  let text = `{"i":${i},"msg":"`;
  for (let x = i * 2654435761; text.length < RECORD_BYTES - 3; x = (x * 1103515245 + 12345) % 2 ** 31) {
    text += `${words[x % words.length]}${x % 9973} `;
  }
  return Buffer.from(`${text.slice(0, RECORD_BYTES - 3)}"}\n`);
}

/** Starts `workers` worker processes on the stream, each with its own lease table entry; resolves once all are loaded. */
async function startWorkers(
  workers: number,
  env: Record<string, string>,
): Promise<Array<{ child: ChildProcess; read: () => number; firstAt: () => bigint | undefined; stderr: string[] }>> {
  return Promise.all(
    Array.from({ length: workers }, async (_, i) => {
      let read = 0;
      let firstAt: bigint | undefined;
      let ready: () => void = () => undefined;
      const loaded = new Promise<void>((resolve) => (ready = resolve));
      const { child, stderr } = startLineProcess(
        join(here, 'kinesisLeasesWorker.ts'),
        { ...env, WORKER_ID: `worker-${i}`, OUT_DIR: join(env['OUT_DIR']!, `worker-${i}`) },
        (line) => {
          if (line === 'READY') ready();
          else if (line.startsWith('N ')) {
            read = Number(line.slice(2));
            firstAt ??= process.hrtime.bigint();
          }
        },
        'pipe',
      );
      await loaded;
      return { child, read: () => read, firstAt: () => firstAt, stderr };
    }),
  );
}

/** The machine's busy and total CPU time so far, in clock ticks (Linux: /proc/stat); undefined elsewhere. */
async function machineTicks(): Promise<{ busy: number; total: number } | undefined> {
  try {
    const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + fields[4]!; // idle + iowait
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** The bytes of every file under `dir`. */
async function bytesUnder(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return bytes;
}

/**
 * Records per second delivered by 1, 2 and 3 worker processes sharing one 12-shard kinesalite stream through
 * leases (dynalite), in one run: the ratio to one worker is the scale-out. Each worker does what a Firehose does
 * with the records (1 MiB batches, GZIP, a file per batch in a directory of its own), so that the work per
 * worker, not kinesalite serving GetRecords, bounds the figure: producers aggregate with the KPL (100 user records
 * of 256 bytes that compress like logs per Kinesis record), so kinesalite serves one record where a worker
 * de-aggregates, batches and compresses a hundred; kinesalite and dynalite run in a process of their own. Each run reads the whole stream from TRIM_HORIZON with a
 * lease table of its own; the clock starts when the workers are loaded and told to go, so it includes taking and
 * balancing the leases, and stops when every record was delivered. On one machine the workers share its cores
 * with kinesalite and dynalite: each line prints how many cores were busy during the run (from /proc/stat), and
 * when one worker already keeps them busy, more workers cannot go faster there.
 */
export async function benchKinesisLeases(): Promise<void> {
  const servers = await startServers();
  const client = kinesisClientFor(servers.kinesis);
  try {
    const streamName = 'bench-leases';
    await createStream(client, streamName, SHARDS);
    for (let i = 0; i < KINESIS_RECORDS; i += 100) {
      await putRecords(
        client,
        streamName,
        Array.from({ length: 100 }, (_, j) => ({
          Data: aggregate(
            Array.from({ length: SUB_RECORDS }, (_, k) => ({ partitionKey: `k${k}`, data: logLine((i + j) * SUB_RECORDS + k) })),
          ),
          PartitionKey: `k${i + j}`,
        })),
      );
    }
    const out = await mkdtemp(join(tmpdir(), 'rx-firehose-bench-leases-'));
    const rates: number[] = [];
    const busy: number[] = [];
    for (const workers of [1, 2, 3]) {
      const env = {
        KINESIS_ENDPOINT: servers.kinesis,
        DYNAMODB_ENDPOINT: servers.dynamodb,
        STREAM_NAME: streamName,
        TABLE_NAME: `bench-${workers}`,
        OUT_DIR: join(out, `run-${workers}`),
      };
      const started = await startWorkers(workers, env);
      const ticks = await machineTicks();
      const start = process.hrtime.bigint();
      for (const w of started) w.child.stdin!.write('GO\n');
      while (started.reduce((n, w) => n + w.read(), 0) < RECORDS) {
        const dead = started.find((w) => w.child.exitCode !== null);
        if (dead !== undefined) throw new Error(`a worker exited: ${dead.stderr.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      rates.push(RECORDS / ms);
      const ticksAfter = await machineTicks();
      // Cores busy on average during the run (every process: workers, kinesalite, dynalite, this one).
      const busyCores =
        ticks === undefined || ticksAfter === undefined
          ? Number.NaN
          : ((ticksAfter.busy - ticks.busy) / (ticksAfter.total - ticks.total)) * availableParallelism();
      busy.push(busyCores);
      const firsts = started.flatMap((w) => w.firstAt() ?? []);
      const firstMs = firsts.length === 0 ? ms : Number(firsts.reduce((a, b) => (a < b ? a : b)) - start) / 1e6;
      const gzipBytes = await bytesUnder(join(out, `run-${workers}`));
      await Promise.all(
        started.map(
          (w) =>
            new Promise((resolve) => {
              w.child.once('exit', resolve);
              w.child.kill('SIGTERM');
            }),
        ),
      );
      console.log(
        `Kinesis → leases → 1 MiB batches → GZIP → directory, ${workers} worker process${workers === 1 ? '' : 'es'} on ${SHARDS} shards: ${perSecond(RECORDS, ms, 'records')}, ${perSecond((RECORDS * RECORD_BYTES) / 1_048_576, ms, 'MiB')} in, ${(gzipBytes / 1_048_576).toFixed(1)} MiB of GZIP out` +
          (workers === 1 ? ' (baseline)' : `  → ratio ${(rates.at(-1)! / rates[0]!).toFixed(2)}× one worker`) +
          `; first batch delivered ${firstMs.toFixed(0)} ms after GO; ${busyCores.toFixed(1)} of ${availableParallelism()} cores busy`,
      );
    }
    console.log(
      `(${availableParallelism()} cores, shared by the workers, kinesalite and dynalite: one worker alone kept ${busy[0]!.toFixed(1)} of them busy, so more workers here can add at most what was idle; on machines of their own, each worker brings its cores)`,
    );
    await rm(out, { recursive: true, force: true });
  } finally {
    client.destroy();
    servers.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchKinesisLeases();
