/**
 * A worker process of the multi-process lease test: Kinesis (with dynamoDbLeases) → buffer → directory, the
 * way an application would run it, with short lease timings (1 s expiry) so that the test runs in seconds.
 * Started by leaseProcesses.spec.ts with `node --import tsx`; killed with SIGKILL or stopped with SIGTERM.
 *
 * Environment: KINESIS_ENDPOINT, DYNAMODB_ENDPOINT, STREAM_NAME, TABLE_NAME, WORKER_ID, OUT_DIR.
 * Standard output (pipes are synchronous on Linux, so every line written before a SIGKILL reaches the parent):
 * `E <recordId>` per record emitted, `S <shardId> <ms>` per reading session (GetShardIterator), `R <shardId> <ms>`
 * per GetRecords answer, `L <leases held>`, and `STOPPED` once the final checkpoints are written and the leases released.
 */
import { GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { tap } from 'rxjs';
import { bufferBySizeOrTime, deliverTo } from '../../../../operators/index.js';
import { directoryDestination } from '../../../../src/index.js';
import { dynamoDbLeases, fromKinesisStream, type KinesisReadClient } from '../../../../src/sources/kinesis/index.js';
import { dynamoDbClientFor } from '../../../support/dynalite.js';
import { kinesisClientFor } from '../../../support/kinesalite.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`leaseWorkerProcess: ${name} is not set`);
  return value;
};
const out = (line: string): boolean => process.stdout.write(`${line}\n`);

const kinesis = kinesisClientFor(env('KINESIS_ENDPOINT'));
const dynamo = dynamoDbClientFor(env('DYNAMODB_ENDPOINT'));
const client: KinesisReadClient = {
  send: ((command: GetShardIteratorCommand, options: unknown) => {
    if (command instanceof GetShardIteratorCommand) out(`S ${command.input.ShardId} ${Date.now()}`);
    return (kinesis.send as (c: unknown, o: unknown) => Promise<unknown>)(command, options);
  }) as KinesisReadClient['send'],
};
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());

fromKinesisStream({
  client,
  streamName: env('STREAM_NAME'),
  startingPosition: 'TRIM_HORIZON',
  leases: dynamoDbLeases({
    client: dynamo,
    tableName: env('TABLE_NAME'),
    createTable: true,
    workerId: env('WORKER_ID'),
    leaseDurationMs: 1_000,
    renewalIntervalMs: 200,
    balanceIntervalMs: 300,
  }),
  pollIntervalMs: 200,
  maxRecordsPerCall: 200,
  signal: stop.signal,
  metrics: (name, value) => {
    if (name.startsWith('KinesisMillisBehindLatest.')) out(`R ${name.slice('KinesisMillisBehindLatest.'.length)} ${Date.now()}`);
    else if (name === 'LeasesHeld') out(`L ${value}`);
  },
  onStopped: (error) => {
    if (error !== undefined) {
      console.error(error);
      process.exit(3);
    }
    out('STOPPED');
    kinesis.destroy();
    dynamo.destroy();
  },
})
  .pipe(
    tap((record) => out(`E ${record.recordId}`)),
    bufferBySizeOrTime({ maxMs: 300 }), // records wait here: a kill finds some in flight
    deliverTo(directoryDestination({ path: env('OUT_DIR'), streamName: 'leases' })),
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  });
