/**
 * The Redshift crash test's child process: Kinesis → buffer → redshiftDestination (staging on RADOS Gateway,
 * COPY through the Redshift test stand-in) with file checkpoints, as an application would run it. Started by
 * redshift.spec.ts with `node --import tsx`, killed with SIGKILL between the stages (staged, COPY not
 * answered), started again, then stopped with SIGTERM (graceful: drain, final checkpoints, exit 0).
 *
 * Environment: KINESIS_ENDPOINT, STREAM_NAME, CHECKPOINT_FILE, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
 * BUCKET, CLUSTER_URL, TABLE. Standard output: `D <n>` per delivered batch of n records, `STOPPED` at the end.
 */
import { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { bufferBySizeOrTime, deliverTo } from '../../../operators/index.js';
import { redshiftDestination } from '../../../src/index.js';
import { fileCheckpointStore, fromKinesisStream } from '../../../src/sources/kinesis/index.js';
import { kinesisClientFor } from '../../support/kinesalite.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`crashPipeline: ${name} is not set`);
  return value;
};

const kinesis = kinesisClientFor(env('KINESIS_ENDPOINT'));
const s3 = new S3Client({
  endpoint: env('S3_ENDPOINT'),
  region: 'us-east-1',
  credentials: { accessKeyId: env('S3_ACCESS_KEY'), secretAccessKey: env('S3_SECRET_KEY') },
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const pool = new pg.Pool({ connectionString: env('CLUSTER_URL'), max: 1 });
pool.on('error', () => undefined);
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());

fromKinesisStream({
  client: kinesis,
  streamName: env('STREAM_NAME'),
  startingPosition: 'TRIM_HORIZON',
  checkpointStore: fileCheckpointStore({ path: env('CHECKPOINT_FILE') }),
  pollIntervalMs: 200,
  signal: stop.signal,
  onStopped: (error) => {
    if (error !== undefined) {
      console.error(error);
      process.exit(3);
    }
    process.stdout.write('STOPPED\n');
    kinesis.destroy();
    s3.destroy();
    void pool.end();
  },
})
  .pipe(
    bufferBySizeOrTime({ maxMs: 200 }),
    deliverTo(
      redshiftDestination({
        pool,
        table: env('TABLE'),
        columns: ['id'],
        copyOptions: "JSON 'auto'",
        staging: { client: s3, bucket: env('BUCKET'), streamName: 'crash' },
      }),
    ),
  )
  .subscribe({
    next: (result) => process.stdout.write(`D ${result.records.length} ${result.status}\n`),
    error: (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  });
