import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../support/freePorts.js';
import { runCli } from './runSupport.js';

// rx-firehose run with a Kinesis source that cannot read, or a bucket that cannot be written: the user must
// hear why, at once, instead of a progress line that says "0 records in" or "0 delivered" for hours. The
// endpoints are a loopback port nothing listens on.

let dir: string;
let config: string;
let directPut: string;
let input: string;
let endpoint: string;
/** No region and no credentials from anywhere on this machine (not even an instance metadata service). */
const NO_AWS: Record<string, string | undefined> = {
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_EC2_METADATA_DISABLED: 'true',
};
/** Shared config and credentials files that do not exist (set once the temporary directory is made). */
const NO_AWS_FILES: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rx-firehose-says-why-'));
  config = join(dir, 'clicks.json');
  directPut = join(dir, 'puts.json');
  input = join(dir, 'input.jsonl');
  await writeFile(
    directPut,
    JSON.stringify({ DeliveryStreamName: 'puts', ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::out' } }),
  );
  await writeFile(input, '{"a":1}\n{"a":2}\n');
  await writeFile(
    config,
    JSON.stringify({
      DeliveryStreamName: 'clicks',
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/clicks' },
      ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::out' },
    }),
  );
  NO_AWS_FILES.AWS_CONFIG_FILE = join(dir, 'no-config');
  NO_AWS_FILES.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
  endpoint = `http://127.0.0.1:${(await freePorts(1))[0]}`;
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const args = (): string[] => ['--config', config, '--data-dir', join(dir, 'data'), '--kinesis-endpoint', endpoint];

describe('rx-firehose run, a source that cannot read or a bucket that cannot be written', () => {
  it('should exit 1 at once, saying to set AWS_REGION, when no region is configured, or an invalid one', async () => {
    for (const region of [undefined, '']) {
      const result = await runCli(args(), { ...NO_AWS, ...NO_AWS_FILES, AWS_REGION: region }).done;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/ListShards on stream "clicks" failed .*the client has no valid region: set AWS_REGION/);
    }
  }, 60_000);

  it('should say on stderr, at each attempt, why it reads nothing while it retries, and stop on SIGTERM', async () => {
    const cli = runCli(args(), {
      ...NO_AWS,
      ...NO_AWS_FILES,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const first = await cli.line(
      /^rx-firehose: clicks: .*ListShards on stream "clicks" failed with ECONNREFUSED.*; retrying \(attempt 1\)$/,
    );
    expect(first).toContain(endpoint.slice('http://'.length));
    cli.kill('SIGTERM');
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('0 records in');
  }, 60_000);

  it('should say on stderr, at each failed attempt, why a batch is not delivered while the bucket is unreachable', async () => {
    const cli = runCli(['--config', directPut, '--input', input, '--data-dir', join(dir, 'data'), '--s3-endpoint', endpoint], {
      ...NO_AWS,
      ...NO_AWS_FILES,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    const first = await cli.line(/^rx-firehose: puts: sending a batch to S3 failed \(attempt 1\): .*ECONNREFUSED/);
    expect(first).toMatch(/retrying with backoff while its retry duration lasts$/);
    cli.kill('SIGKILL'); // S3 is retried for up to 24 h: a drain would wait for it
    await cli.done;
  }, 60_000);

  it('should say that a batch goes to the error output, not that it is retried, when retrying cannot help', async () => {
    // The bucket's objects go under <data-dir>/out/<year>/…: a file there makes every write fail for good (ENOTDIR).
    const data = join(dir, 'blocked');
    const year = new Date().getUTCFullYear();
    await mkdir(join(data, 'out'), { recursive: true });
    for (const y of [year, year + 1]) await writeFile(join(data, 'out', String(y)), '');
    const cli = runCli(['--config', directPut, '--input', input, '--data-dir', data], { ...NO_AWS, ...NO_AWS_FILES });
    const first = await cli.line(/^rx-firehose: puts: sending a batch to .* failed \(attempt 1\): .*ENOTDIR/);
    expect(first).toMatch(/retrying cannot help: its records go to the error output$/);
    const result = await cli.done;
    expect(result.stderr).not.toContain('retrying with backoff');
  }, 60_000);
});
