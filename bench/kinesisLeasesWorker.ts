/**
 * A worker process of bench/kinesisLeases.bench.ts: fromKinesisStream with dynamoDbLeases, every record settled
 * as it comes (no destination: the bench measures reading and sharing). Prints `READY` once loaded, starts on
 * the line `GO` on its standard input, prints `N <records read so far>` every 50 ms and stops on SIGTERM.
 * Environment: KINESIS_ENDPOINT, DYNAMODB_ENDPOINT, STREAM_NAME, TABLE_NAME, WORKER_ID.
 */
import { settleRecord } from '../src/settlement/settleRecord.js';
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
  }).subscribe((record) => {
    settleRecord(record, 'delivered');
    count++;
  });
});
