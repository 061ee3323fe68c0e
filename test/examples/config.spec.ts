import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/runSupport.js';
import { filesUnder } from '../config/support.js';
import { createStream, putRecords, useKinesalite } from '../support/kinesalite.js';

// examples/config/kinesis-lambda-s3.json, run as its README says, against kinesalite, with the blueprint
// handler in-process and buckets in the data directory.

async function gunzipped(root: string): Promise<Map<string, string>> {
  return new Map([...(await filesUnder(root))].map(([key, body]) => [key, gunzipSync(body).toString('utf8')]));
}

describe('examples/config/kinesis-lambda-s3.json', () => {
  const kinesis = useKinesalite();
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-example-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should partition enriched clicks by customer, back up the raw records, and fail what is not JSON', async () => {
    await createStream(kinesis.client, 'clicks', 1);
    const lines = [
      JSON.stringify({ customer: 'acme', level: 'warn', msg: 'a' }),
      JSON.stringify({ type: 'heartbeat' }),
      'not json',
      JSON.stringify({ customer: 'globex', msg: 'b' }),
    ];
    await putRecords(
      kinesis.client,
      'clicks',
      lines.map((l, i) => ({ Data: Buffer.from(l), PartitionKey: `k${i}` })),
    );
    const run = runCli(
      [
        '--config',
        'examples/config/kinesis-lambda-s3.json',
        '--lambda-handler',
        'clicks-blueprint=examples/transform/blueprint.ts',
        '--kinesis-endpoint',
        kinesis.endpoint,
        '--data-dir',
        dir,
        '--starting-position',
        'TRIM_HORIZON',
      ],
      { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' },
    );
    // The buffers hold 60 s or more: once the records are read, SIGTERM drains them.
    await run.line(/^… clicks-to-lake: 4 records in/);
    run.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(3); // the line that is not JSON went to the error output
    expect(result.stderr).toMatch(/^done: clicks-to-lake: 4 records in, 2 delivered .*, 1 to the error output, 4 backed up/m);

    const lake = await gunzipped(join(dir, 'lake'));
    const partition = (customer: string): string[] =>
      [...lake].filter(([k]) => k.startsWith(`clicks/customer=${customer}/`)).flatMap(([, v]) => v.split('\n').filter(Boolean));
    expect(partition('acme').map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['WARN']);
    expect(partition('globex').map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['b']);
    const failed = [...lake]
      .filter(([k]) => k.startsWith('errors/processing-failed/'))
      .map(([, v]) => JSON.parse(v) as { rawData: string; lambdaArn: string });
    expect(failed.map((f) => Buffer.from(f.rawData, 'base64').toString())).toEqual(['not json']);
    expect(failed[0]!.lambdaArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:clicks-blueprint');
    expect([...(await gunzipped(join(dir, 'lake-raw'))).values()].join('')).toBe(lines.join(''));
  }, 60_000);
});
