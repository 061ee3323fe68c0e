/**
 * Firehose's API server against Debian's AWS CLI (package `awscli`, botocore's own serializers and SigV4
 * signer), installed by this test with apt-get when missing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryStreamRegistry, firehoseApiListener } from '../../src/index.js';
import { aptInstall } from '../support/aptInstall.js';
import { listenOnLoopback, type LoopbackServer } from '../support/listenOnLoopback.js';

/** Debian's CLI, by its full path: another `aws` may come first on PATH. */
const AWS = '/usr/bin/aws';
const run = promisify(execFile);

let dir: string;
let registry: DeliveryStreamRegistry;
let server: LoopbackServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!existsSync(AWS)) {
    const failure = aptInstall(['awscli']);
    if (!existsSync(AWS))
      throw new Error(
        `These tests need Debian's AWS CLI: apt-get install -y --no-install-recommends awscli (${failure ?? 'installed, but /usr/bin/aws is missing'})`,
      );
  }
  dir = await mkdtemp(join(tmpdir(), 'rx-firehose-awscli-'));
  registry = await DeliveryStreamRegistry.open({ dataDir: join(dir, 'data') });
  // The CLI signs every request: verify its signatures.
  server = await listenOnLoopback(createServer(firehoseApiListener(registry, { credentials: new Map([['AKIDCLI', 'cli-secret']]) })));
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: 'AKIDCLI',
    AWS_SECRET_ACCESS_KEY: 'cli-secret',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
}, 600_000);

afterAll(async () => {
  await server?.stop();
  await registry?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Runs `aws firehose <args> --endpoint-url <server>` and parses its JSON output. */
async function firehose(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(AWS, ['firehose', ...args, '--endpoint-url', server.endpoint, '--output', 'json'], { env });
  return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
}

async function failure(...args: string[]): Promise<string> {
  const err = await firehose(...args).then(
    () => undefined,
    (e: unknown) => e as { stderr: string; code: number },
  );
  expect(err).toBeDefined();
  return err!.stderr;
}

describe('Firehose API server, with the AWS CLI', () => {
  it('should create, list and describe delivery streams, and take put-record and put-record-batch', async () => {
    const input = join(dir, 'stream.json');
    await writeFile(
      input,
      JSON.stringify({
        DeliveryStreamName: 'cli-stream',
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          BucketARN: 'arn:aws:s3:::cli-lake',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
        },
      }),
    );
    expect(await firehose('create-delivery-stream', '--cli-input-json', `file://${input}`)).toEqual({
      DeliveryStreamARN: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/cli-stream',
    });
    expect(await firehose('list-delivery-streams')).toMatchObject({ DeliveryStreamNames: ['cli-stream'], HasMoreDeliveryStreams: false });
    const described = (await firehose('describe-delivery-stream', '--delivery-stream-name', 'cli-stream'))
      .DeliveryStreamDescription as Record<string, unknown>;
    expect(described).toMatchObject({ DeliveryStreamName: 'cli-stream', DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut' });

    // A blob is base64 on the command line by default, or raw text with raw-in-base64-out.
    const base64 = await firehose(
      'put-record',
      '--delivery-stream-name',
      'cli-stream',
      '--record',
      `Data=${Buffer.from('from base64\n').toString('base64')}`,
    );
    expect(base64.RecordId).toEqual(expect.any(String));
    await firehose(
      'put-record',
      '--cli-binary-format',
      'raw-in-base64-out',
      '--delivery-stream-name',
      'cli-stream',
      '--record',
      'Data="raw text\n"',
    );
    const batch = await firehose(
      'put-record-batch',
      '--cli-binary-format',
      'raw-in-base64-out',
      '--delivery-stream-name',
      'cli-stream',
      '--records',
      '[{"Data":"one"},{"Data":"two"}]',
    );
    expect(batch).toMatchObject({ FailedPutCount: 0 });
    expect(batch.RequestResponses).toHaveLength(2);

    expect(await failure('describe-delivery-stream', '--delivery-stream-name', 'missing')).toMatch(/ResourceNotFoundException/);

    await firehose('delete-delivery-stream', '--delivery-stream-name', 'cli-stream');
    const root = join(dir, 'data', 'cli-lake');
    const files = (await readdir(root, { recursive: true })).filter(
      (f) => f.includes('cli-stream-') && !f.split('/').pop()!.startsWith('.'),
    );
    const delivered = (await Promise.all(files.map((f) => readFile(join(root, f), 'utf8')))).join('');
    // One buffer, flushed by the delete, in the order the records were put (no delimiter is added).
    expect(delivered).toBe('from base64\nraw text\nonetwo');
  }, 120_000);

  it('should refuse a signature made with the wrong secret', async () => {
    const saved = env;
    env = { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' };
    try {
      expect(await failure('list-delivery-streams')).toMatch(/InvalidSignatureException/);
    } finally {
      env = saved;
    }
  }, 60_000);
});
