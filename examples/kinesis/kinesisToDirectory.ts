/**
 * Persist a Kinesis Data Stream to a local directory laid out like Firehose's S3 output, at least once,
 * with checkpoints in a file: Firehose's first use case, as a Node process.
 *
 *   node --import tsx examples/kinesis/kinesisToDirectory.ts <stream-name> [out-dir]
 *
 * Uses the AWS SDK's default region and credentials. To try it offline against kinesalite, set
 * KINESIS_ENDPOINT=http://127.0.0.1:4567 (kinesalite speaks HTTP/1.1 only, hence the NodeHttpHandler).
 * Stop it with Ctrl-C or SIGTERM: reading stops, the last batch is delivered, the final checkpoints are
 * saved, and the process exits. Started again, it resumes after its checkpoints.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { bufferBySizeOrTime, deliverTo } from '../../operators/index.js';
import { directoryDestination } from '../../src/index.js';
import { fileCheckpointStore, fromKinesisStream } from '../../src/sources/kinesis/index.js';

const [streamName, outDir = './firehose-out'] = process.argv.slice(2);
if (streamName === undefined) {
  console.error('usage: kinesisToDirectory.ts <stream-name> [out-dir]');
  process.exit(64);
}
const endpoint = process.env['KINESIS_ENDPOINT'];
const client = new KinesisClient(
  endpoint === undefined
    ? {}
    : { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: new NodeHttpHandler() },
);

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

const out = directoryDestination({ path: outDir, streamName, compression: 'GZIP', deterministicNames: true });

fromKinesisStream({
  client,
  streamName,
  startingPosition: 'TRIM_HORIZON',
  checkpointStore: fileCheckpointStore({ path: `${outDir}/.checkpoints.json` }),
  maxInFlightBytes: 16 << 20,
  signal: stop.signal,
  metrics: (name, value) =>
    name === 'KinesisMillisBehindLatest' && value > 60_000 && console.warn(`behind by ${Math.round(value / 1000)} s`),
  onStopped: (error) => {
    console.log(error === undefined ? 'final checkpoints saved' : `final checkpoints not saved: ${String(error)}`);
    client.destroy();
  },
})
  .pipe(bufferBySizeOrTime({ maxBytes: 5 << 20, maxMs: 60_000 }), deliverTo(out, { errorOutput: out }))
  .subscribe({
    next: (result) => console.log(result.status, result.records.length, result.location ?? result.errorLocation),
    error: (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  });
