/**
 * A worker process of bench/kinesisLeases.bench.ts, the way a Firehose delivers a Kinesis stream: fromKinesisStream
 * with dynamoDbLeases → 1 MiB batches → GZIP → files in a directory of its own (one batch at a time, no fsync: the
 * bench measures CPU, not the disk). Prints `READY` once loaded, starts on the line `GO` on its standard input,
 * prints `N <records delivered so far>` every 50 ms and stops on SIGTERM (drain, final checkpoints, release).
 * Environment: KINESIS_ENDPOINT, DYNAMODB_ENDPOINT, STREAM_NAME, TABLE_NAME, WORKER_ID, OUT_DIR.
 */
import { bufferBySizeOrTime, deliverTo } from '../operators/index.js';
import { directoryDestination } from '../src/index.js';
import { dynamoDbLeases, fromKinesisStream } from '../src/sources/kinesis/index.js';
import { dynamoDbClientFor } from '../test/support/dynalite.js';
import { kinesisClientFor } from '../test/support/kinesalite.js';

const env = (name: string): string => process.env[name] ?? '';
const kinesis = kinesisClientFor(env('KINESIS_ENDPOINT'));
const dynamo = dynamoDbClientFor(env('DYNAMODB_ENDPOINT'));
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
process.stdout.write('READY\n');
process.stdin.once('data', () => {
  let count = 0;
  let told = 0;
  setInterval(() => {
    if (count !== told) process.stdout.write(`N ${(told = count)}\n`);
  }, 50).unref();
  fromKinesisStream({
    client: kinesis,
    streamName: env('STREAM_NAME'),
    startingPosition: 'TRIM_HORIZON',
    pollIntervalMs: 200,
    maxRecordsPerCall: 500,
    leases: dynamoDbLeases({
      client: dynamo,
      tableName: env('TABLE_NAME'),
      createTable: true,
      workerId: env('WORKER_ID'),
      leaseDurationMs: 2_000,
      renewalIntervalMs: 500,
      balanceIntervalMs: 250,
    }),
    signal: stop.signal,
    onStopped: () => process.exit(0),
  })
    .pipe(
      bufferBySizeOrTime({ maxBytes: 1 << 20, maxMs: 500 }),
      deliverTo(directoryDestination({ path: env('OUT_DIR'), streamName: 'bench', compression: 'GZIP', fsync: false }), {
        concurrency: 1,
      }),
    )
    .subscribe((result) => {
      count += result.records.length;
    });
});
