import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jqPartitioning } from '../support/jqPartitioning.js';
import { filesUnder } from '../config/support.js';
import { runCli, type RunningCli } from './runSupport.js';

const TRANSFORM_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:transform';

function stream(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    DeliveryStreamName: name,
    ExtendedS3DestinationConfiguration: {
      RoleARN: 'arn:aws:iam::123456789012:role/firehose',
      BucketARN: `arn:aws:s3:::${name}-bucket`,
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
      ...extra,
    },
  };
}

/** A Lambda processor: `TRANSFORM_ARN`, which runStreams runs in-process. */
const LAMBDA = {
  ProcessingConfiguration: {
    Enabled: true,
    Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: TRANSFORM_ARN }] }],
  },
};

/** `rx-firehose run` of `<dir>/streams.json` on the lines of `<dir>/in.jsonl`, `TRANSFORM_ARN` the transform handler of test/support. */
function runStreams(dir: string): RunningCli {
  return runCli([
    '--config',
    join(dir, 'streams.json'),
    '--data-dir',
    join(dir, 'data'),
    '--input',
    join(dir, 'in.jsonl'),
    '--lambda-handler',
    `${TRANSFORM_ARN}=test/support/lambda/handlers.mjs#transform`,
  ]);
}

/** The files under `root` as text, by relative path. */
async function contents(root: string): Promise<Map<string, string>> {
  return new Map([...(await filesUnder(root))].map(([key, body]) => [key, body.toString('utf8')]));
}

describe('rx-firehose run (Direct PUT, local Lambda handlers)', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-run-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should run every stream of an array with --input lines and a --lambda-handler, print a summary each, and exit 1 when records went to the error output', async () => {
    await writeFile(
      join(dir, 'streams.json'),
      JSON.stringify([
        stream('plain', { ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] } }),
        stream('enriched', LAMBDA),
      ]),
    );
    await writeFile(join(dir, 'in.jsonl'), ['{"n":1,"customer":"a"}', '{"n":2,"fail":true}', '{"n":3,"drop":true}'].join('\n') + '\n');
    const run = runStreams(dir);
    const result = await run.done;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^rx-firehose: enriched: Direct PUT → Lambda transform \(local handler\) → .*enriched-bucket$/m);
    expect(result.stderr).toMatch(/^done: plain: 3 records in, 3 delivered .*, 0 to the error output/m);
    expect(result.stderr).toMatch(/^done: enriched: 3 records in, 1 delivered .*, 1 to the error output/m);

    const plain = [...(await contents(join(dir, 'data', 'plain-bucket'))).values()].join('');
    expect(plain).toBe('{"n":1,"customer":"a"}\n{"n":2,"fail":true}\n{"n":3,"drop":true}\n');
    const enriched = await contents(join(dir, 'data', 'enriched-bucket'));
    const delivered = [...enriched].filter(([k]) => !k.startsWith('errors/')).map(([, v]) => v);
    expect(delivered).toEqual(['{"n":1,"customer":"a","transformed":true}\n']);
    const failed = [...enriched]
      .filter(([k]) => k.startsWith('errors/processing-failed/'))
      .map(([, v]) => JSON.parse(v) as { rawData: string });
    expect(failed.map((f) => Buffer.from(f.rawData, 'base64').toString())).toEqual(['{"n":2,"fail":true}']);
  }, 60_000);

  it('should exit 0 when everything was delivered', async () => {
    await writeFile(join(dir, 'one.json'), JSON.stringify(stream('ok')));
    await writeFile(join(dir, 'in.txt'), 'a\nb\n');
    const result = await runCli([
      '--config',
      join(dir, 'one.json'),
      '--data-dir',
      join(dir, 'data'),
      '--input',
      join(dir, 'in.txt'),
      '--quiet',
    ]).done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect([...(await contents(join(dir, 'data', 'ok-bucket'))).values()].join('')).toBe('ab');
  }, 60_000);

  it('should fill the buffers the configuration sets from --input: objects of SizeInMBs, also behind a Lambda processor, which is not told that reading waits', async () => {
    // 4 MiB buffers hold about 50,000 of these 84-byte lines: far more than fromLines' default 16,384 records
    // in flight. With that default the plain stream wrote 1.3 MiB objects, and the buffer behind the Lambda
    // processor waited for its IntervalInSeconds (900 s) before every object.
    const hints = { BufferingHints: { SizeInMBs: 4, IntervalInSeconds: 900 } };
    await writeFile(join(dir, 'streams.json'), JSON.stringify([stream('plain', hints), stream('lambda', { ...hints, ...LAMBDA })]));
    const lines = Array.from({ length: 110_000 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(70 - String(i).length) }));
    await writeFile(join(dir, 'in.jsonl'), lines.join('\n') + '\n');
    const result = await runStreams(dir).done;
    expect(result.code).toBe(0);
    for (const name of ['plain', 'lambda']) {
      expect(result.stderr).toMatch(new RegExp(`^done: ${name}: 110000 records in, 110000 delivered .*, 0 to the error output`, 'm'));
      const objects = [...(await filesUnder(join(dir, 'data', `${name}-bucket`)))].sort(([a], [b]) => a.localeCompare(b));
      const sizes = objects.map(([, body]) => body.byteLength);
      // Every object but the last (the rest at the end of the input) is full, or nearly (a batch three quarters
      // full goes out when the budget fills: rule 10).
      for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(3 << 20);
      expect(sizes.length).toBeLessThanOrEqual(4);
      // Records are concatenated as they are (no delimiter): count them by their first field.
      const records = objects.reduce((n, [, body]) => n + body.toString('utf8').split('{"n":').length - 1, 0);
      expect(records).toBe(lines.length);
    }
  }, 120_000);

  it('should exit 2 naming the field for a configuration it cannot run, and for bad usage', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify(stream('bad', { CustomTimeZone: 'Asia/Tokyo' })));
    const bad = await runCli(['--config', join(dir, 'bad.json'), '--data-dir', join(dir, 'data')]).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ExtendedS3DestinationConfiguration.CustomTimeZone Asia/Tokyo is not supported yet');

    // A valid stream before an invalid one does not start: the whole file is checked first.
    await writeFile(
      join(dir, 'two.json'),
      JSON.stringify([stream('first'), stream('second', { BufferingHints: { SizeInMBs: 500, IntervalInSeconds: 60 } })]),
    );
    await writeFile(join(dir, 'in.txt'), 'a\n');
    const two = await runCli(['--config', join(dir, 'two.json'), '--data-dir', join(dir, 'data2'), '--input', join(dir, 'in.txt')]).done;
    expect(two.code).toBe(2);
    expect(two.stderr).toContain(
      'ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs must be an integer from 1 to 128 (MiB); got 500',
    );
    expect((await filesUnder(join(dir, 'data2'))).size).toBe(0);

    // So does one refused while it loads (jq compiles its query asynchronously).
    const badQuery = stream('query', jqPartitioning('customer', '{customer: .customer'));
    await writeFile(join(dir, 'query.json'), JSON.stringify([stream('first'), badQuery]));
    const query = await runCli(['--config', join(dir, 'query.json'), '--data-dir', join(dir, 'data3'), '--input', join(dir, 'in.txt')])
      .done;
    expect(query.code).toBe(2);
    expect(query.stderr).toContain('ParameterValue must be a jq filter that compiles');
    expect((await filesUnder(join(dir, 'data3'))).size).toBe(0);

    const missing = await runCli([]).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--config is required');
    const handler = await runCli(['--config', join(dir, 'bad.json'), '--lambda-handler', 'x=./nowhere.mjs']).done;
    expect(handler.code).toBe(2);
    expect(handler.stderr).toContain('--lambda-handler x: cannot load ./nowhere.mjs');
    const help = await runCli(['--help']).done;
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('rx-firehose run --config streams.json');
  }, 60_000);
});
