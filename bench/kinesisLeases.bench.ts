import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStream, kinesisClientFor, putRecords } from '../test/support/kinesalite.js';
import { perSecond } from './measure.js';
import { startServers } from './startServers.js';

const here = dirname(fileURLToPath(import.meta.url));
const SHARDS = 12;
const RECORDS = 24_000;

/** Starts `workers` worker processes on the stream, each with its own lease table entry; resolves once all are loaded. */
async function startWorkers(workers: number, env: Record<string, string>): Promise<Array<{ child: ChildProcess; read: () => number }>> {
  return Promise.all(
    Array.from({ length: workers }, async (_, i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'kinesisLeasesWorker.ts')], {
        env: { ...process.env, ...env, WORKER_ID: `worker-${i}` },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let read = 0;
      await new Promise<void>((resolve) => {
        let partial = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          const lines = (partial + chunk.toString('utf8')).split('\n');
          partial = lines.pop()!;
          for (const line of lines) {
            if (line === 'READY') resolve();
            else if (line.startsWith('N ')) read = Number(line.slice(2));
          }
        });
      });
      return { child, read: () => read };
    }),
  );
}

/**
 * Records per second read by 1, 2 and 3 worker processes sharing one 12-shard kinesalite stream through leases
 * (dynalite), in one run: the ratio to one worker is the scale-out. Each run reads the whole stream from
 * TRIM_HORIZON with a lease table of its own; the clock starts when the workers are loaded and told to go, so
 * it includes taking and balancing the leases. kinesalite serves every worker from one process, so it bounds
 * the figure: the ratio shows what sharing costs and gains on one machine, not what Kinesis would allow.
 */
export async function benchKinesisLeases(): Promise<void> {
  const servers = await startServers();
  const client = kinesisClientFor(servers.kinesis);
  try {
    const streamName = 'bench-leases';
    await createStream(client, streamName, SHARDS);
    const data = Buffer.alloc(100, 'x');
    for (let i = 0; i < RECORDS; i += 5_000) {
      await putRecords(
        client,
        streamName,
        Array.from({ length: 5_000 }, (_, j) => ({ Data: data, PartitionKey: `k${i + j}` })),
      );
    }
    const rates: number[] = [];
    for (const workers of [1, 2, 3]) {
      const env = {
        KINESIS_ENDPOINT: servers.kinesis,
        DYNAMODB_ENDPOINT: servers.dynamodb,
        STREAM_NAME: streamName,
        TABLE_NAME: `bench-${workers}`,
      };
      const started = await startWorkers(workers, env);
      const start = process.hrtime.bigint();
      for (const w of started) w.child.stdin!.write('GO\n');
      while (started.reduce((n, w) => n + w.read(), 0) < RECORDS) await new Promise((resolve) => setTimeout(resolve, 20));
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      rates.push(RECORDS / ms);
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
        `fromKinesisStream with leases, ${workers} worker process${workers === 1 ? '' : 'es'} on ${SHARDS} shards: ${perSecond(RECORDS, ms, 'records')}` +
          (workers === 1 ? ' (baseline)' : `  → ratio ${(rates.at(-1)! / rates[0]!).toFixed(2)}× one worker`),
      );
    }
  } finally {
    client.destroy();
    servers.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchKinesisLeases();
