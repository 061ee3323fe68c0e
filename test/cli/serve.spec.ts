import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, ListDeliveryStreamsCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/serve.js';
import { startServe, type ServeProcess } from '../support/serveProcess.js';

const running: ServeProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Resolves with the first match of `pattern` in the process's stderr, as soon as it is written. */
function stderrMatch(serve: ServeProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = pattern.exec(serve.stderr());
      if (m === null) return;
      serve.child.stderr!.off('data', check);
      resolve(m);
    };
    serve.child.stderr!.on('data', check);
    void serve.exited.then(() => reject(new Error(`exited without writing ${pattern}:\n${serve.stderr()}`)));
    check();
  });
}

describe('rx-firehose serve', () => {
  it('should print its endpoint first, create the --config streams, serve metrics per stream, and drain on SIGTERM with status 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-serve-'));
    dirs.push(dir);
    const config = join(dir, 'streams.json');
    const stream = (name: string) => ({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        BucketARN: 'arn:aws:s3:::lake',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
      },
    });
    await writeFile(config, JSON.stringify([stream('a'), stream('b')]));
    const serve = await startServe(['--data-dir', join(dir, 'data'), '--config', config, '--metrics-port', '0']);
    running.push(serve);
    expect(serve.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const [, metricsUrl] = await stderrMatch(serve, /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/);

    const client = new FirehoseClient({
      endpoint: serve.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    expect((await client.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames).toEqual(['a', 'b']);
    await client.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'a', Records: [{ Data: Buffer.from('12345') }, { Data: Buffer.from('678') }] }),
    );
    client.destroy();

    const metrics = await (await fetch(metricsUrl!)).text();
    expect(metrics).toMatch(/firehose_incoming_put_requests_total\{delivery_stream="a"\} 1\b/);
    expect(metrics).toMatch(/firehose_incoming_records_total\{delivery_stream="a"\} 2\b/);
    expect(metrics).toMatch(/firehose_incoming_bytes_total\{delivery_stream="a"\} 8\b/);
    expect(metrics).toMatch(/firehose_throttled_records_total\{delivery_stream="a"\} 0\b/);

    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(serve.stderr()).toMatch(/everything accepted was delivered/);
  }, 120_000);

  it('should refuse invalid usage with status 2, naming the problem', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (message: string) => errors.push(message);
    try {
      expect(await main(['--port', '70000'])).toBe(2);
      expect(await main(['--credentials', join(tmpdir(), 'rx-firehose-no-such-file.json')])).toBe(2);
      expect(await main(['--bogus'])).toBe(2);
      expect(await main(['--stall-timeout-ms', '0'])).toBe(2);
      expect(await main(['--stall-timeout-ms', 'soon'])).toBe(2);
      expect(await main(['--on-stall', 'ignore'])).toBe(2);
    } finally {
      console.error = original;
    }
    expect(errors[0]).toMatch(/--port must be a port number \(0–65535\); got 70000/);
    expect(errors[1]).toMatch(/--credentials .*rx-firehose-no-such-file\.json: ENOENT/);
    expect(errors[2]).toMatch(/Unknown option '--bogus'/);
    expect(errors[3]).toMatch(/--stall-timeout-ms must be a number of milliseconds from 1 to 86400000 \(24 h\); got 0/);
    expect(errors[4]).toMatch(/--stall-timeout-ms .*; got soon/);
    expect(errors[5]).toMatch(/--on-stall must be warn or error; got ignore/);
  });

  it('should warn of a stream whose puts are refused while nothing settles for --stall-timeout-ms, naming the likely cause', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-serve-stall-'));
    dirs.push(dir);
    const config = join(dir, 'streams.json');
    await writeFile(
      config,
      JSON.stringify({
        DeliveryStreamName: 'stuck',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          BucketARN: 'arn:aws:s3:::lake',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        },
      }),
    );
    // Nothing listens on port 1: every write is retried (for 300 s), so nothing settles and the budget stays full.
    const serve = await startServe(
      [
        '--data-dir',
        join(dir, 'data'),
        '--config',
        config,
        '--s3-endpoint',
        'http://127.0.0.1:1',
        '--max-in-flight-bytes',
        String(4 * 1_048_576),
        '--stall-timeout-ms',
        '200',
      ],
      { ...process.env, AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' },
    );
    running.push(serve);
    const client = new FirehoseClient({
      endpoint: serve.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    const record = { Data: new Uint8Array(1_000_000) };
    const first = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'stuck', Records: [record, record, record, record] }));
    const fifth = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'stuck', Records: [record] }));
    expect([first.FailedPutCount, fifth.FailedPutCount]).toEqual([0, 0]); // 5,000,000 bytes: the fifth takes the budget past 4 MiB
    const refused = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'stuck', Records: [{ Data: Buffer.from('x') }] }));
    expect(refused.RequestResponses).toEqual([{ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }]);
    client.destroy();
    const [warning] = await stderrMatch(serve, /SettlementStallWarning: .*/);
    expect(warning).toMatch(
      /delivery stream stuck: reading has stopped: 5000000 bytes .* none settled for 200 ms\. Likely cause: .*copies/,
    );
    // (A drain would wait for the writes being retried: the afterEach kills it.)
  }, 120_000);
});
