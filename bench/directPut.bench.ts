import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryStreamRegistry } from '../src/server/DeliveryStreamRegistry.js';
import { firehoseApiListener } from '../src/server/firehoseApiListener.js';

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

let throttled = 0;

/** Sends `REQUESTS` requests, `CONCURRENCY` at a time on kept-alive connections; returns the wall time in ms. */
async function load(endpoint: { port: number }, bodies: readonly Buffer[]): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const send = (payload: Buffer): Promise<void> =>
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
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`));
            throttled += Number(/"FailedPutCount":(\d+)/.exec(text)?.[1] ?? 0);
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) await send(bodies[next++ % bodies.length]!);
    }),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  agent.destroy();
  return ms;
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
 * PutRecordBatch (500 × 1 KiB, 8 at a time) to `rx-firehose serve`'s API with the write-ahead log on, delivered
 * to the data directory with GZIP, against a bare HTTP server that reads and discards the same requests.
 */
export async function benchDirectPut(): Promise<void> {
  const bodies = Array.from({ length: DISTINCT_BODIES }, (_, i) => body(i));
  const recordBytes = REQUESTS * RECORDS_PER_REQUEST * RECORD_BYTES;
  const records = REQUESTS * RECORDS_PER_REQUEST;

  const bareServer = await listen(bare);
  await load(bareServer.address() as AddressInfo, bodies); // warm-up
  const bareMs = await load(bareServer.address() as AddressInfo, bodies);
  bareServer.close();

  const dataDir = await mkdtemp(join(tmpdir(), 'rx-firehose-bench-direct-put-'));
  try {
    const registry = await DeliveryStreamRegistry.open({ dataDir });
    await registry.create({
      DeliveryStreamName: 'bench',
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        BucketARN: 'arn:aws:s3:::bench',
        CompressionFormat: 'GZIP',
        BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
      },
    });
    const server = await listen(firehoseApiListener(registry));
    throttled = 0;
    const start = process.hrtime.bigint();
    const ackMs = await load(server.address() as AddressInfo, bodies);
    await registry.close(); // delivers everything accepted: the last buffer, compressed and written
    const deliveredMs = Number(process.hrtime.bigint() - start) / 1e6;
    server.close();

    const mibPerS = (ms: number): number => recordBytes / MIB / (ms / 1000);
    const rate = (ms: number): string => `${(((records / ms) * 1000) / 1000).toFixed(0)} k records/s, ${mibPerS(ms).toFixed(1)} MiB/s`;
    console.log(
      `\ndirect PUT: PutRecordBatch ${RECORDS_PER_REQUEST} × ${RECORD_BYTES} B, ${CONCURRENCY} concurrent, ${REQUESTS} requests (${(recordBytes / MIB).toFixed(0)} MiB of records)`,
    );
    console.log(`  bare HTTP server (read and discard): ${rate(bareMs)}`);
    console.log(
      `  rx-firehose serve API, WAL on, acknowledged: ${rate(ackMs)}  (${(bareMs / ackMs).toFixed(2)}× the bare server; ${throttled} records throttled)`,
    );
    console.log(
      `  … and delivered to the data directory with GZIP: ${rate(deliveredMs)}  (${(mibPerS(deliveredMs) / (QUOTA_BYTES_PER_S / MIB)).toFixed(1)}× Firehose's 5 MiB/s quota)`,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
