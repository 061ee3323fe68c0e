/**
 * The crash test's child process: a Kinesis → buffer → directory pipeline with file checkpoints, the way an
 * application would run it. Started by crash.spec.ts with `node --import tsx`, killed with SIGKILL mid-way,
 * started again, then stopped with SIGTERM (graceful: drain, final checkpoints, exit 0).
 *
 * Environment: KINESIS_ENDPOINT, STREAM_NAME, OUT_DIR, CHECKPOINT_FILE, MAX_IN_FLIGHT_BYTES, MAX_RECORDS_PER_CALL, and
 * CHECKPOINT_DELAY_MS: each checkpoint save waits that long first (a slow store, as DynamoDB under load can be),
 * which widens the window in which a batch is delivered but its checkpoint not yet saved: the duplicates.
 * Standard output: one line `E <recordId>` per record emitted (pipes are synchronous on Linux, so every line
 * written before a SIGKILL reaches the parent), then `STOPPED` after the final checkpoints.
 */
import { tap } from 'rxjs';
import { bufferBySizeOrTime, deliverTo } from '../../../operators/index.js';
import { directoryDestination } from '../../../src/index.js';
import { fileCheckpointStore, fromKinesisStream, type CheckpointStore } from '../../../src/sources/kinesis/index.js';
import { kinesisClientFor } from '../../support/kinesalite.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`crashPipeline: ${name} is not set`);
  return value;
};

const client = kinesisClientFor(env('KINESIS_ENDPOINT'));
const file = fileCheckpointStore({ path: env('CHECKPOINT_FILE') });
const checkpointDelayMs = Number(env('CHECKPOINT_DELAY_MS'));
const checkpointStore: CheckpointStore = {
  load: (streamName) => file.load(streamName),
  save: async (streamName, checkpoints) => {
    await new Promise((resolve) => setTimeout(resolve, checkpointDelayMs));
    await file.save(streamName, checkpoints);
  },
};
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());

fromKinesisStream({
  client,
  streamName: env('STREAM_NAME'),
  startingPosition: 'TRIM_HORIZON',
  checkpointStore,
  pollIntervalMs: 200,
  maxRecordsPerCall: Number(env('MAX_RECORDS_PER_CALL')),
  maxInFlightBytes: Number(env('MAX_IN_FLIGHT_BYTES')),
  signal: stop.signal,
  onStopped: (error) => {
    if (error !== undefined) {
      console.error(error);
      process.exit(3);
    }
    process.stdout.write('STOPPED\n');
    client.destroy();
  },
})
  .pipe(
    tap((record) => process.stdout.write(`E ${record.recordId}\n`)),
    bufferBySizeOrTime({ maxMs: 500 }), // records wait here up to 0.5 s: a kill finds some in flight
    deliverTo(directoryDestination({ path: env('OUT_DIR'), streamName: 'crash' })),
  )
  .subscribe({
    error: (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  });
