import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTransformPipeline } from '../../examples/transform/pipeline.js';

async function files(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(relative(root, join(e.parentPath, e.name)), await readFile(join(e.parentPath, e.name), 'utf8'));
  }
  return out;
}

describe('examples/transform: the blueprint handler in a pipeline with backup and dynamic partitioning', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-firehose-example-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should drop heartbeats, fail what is not JSON, enrich the rest by customer, and back up the raw lines', async () => {
    const lines = [
      JSON.stringify({ customer: 'acme', level: 'warn', msg: 'a' }),
      JSON.stringify({ type: 'heartbeat' }),
      'not json',
      JSON.stringify({ customer: 'globex', msg: 'b' }),
      JSON.stringify({ customer: 'acme', msg: 'c' }),
    ];
    const results = await runTransformPipeline(dir, lines);
    expect(results.map((r) => [r.status, r.records.length])).toEqual([['delivered', 3]]);

    const lake = await files(join(dir, 'lake'));
    const byCustomer = (c: string): Array<Record<string, unknown>> =>
      [...lake]
        .filter(([k]) => k.startsWith(`customer=${c}/`))
        .flatMap(([, v]) =>
          v
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        );
    expect(byCustomer('acme').map((r) => [r.msg, r.level])).toEqual([
      ['a', 'WARN'],
      ['c', 'INFO'],
    ]);
    expect(byCustomer('globex').map((r) => r.msg)).toEqual(['b']);

    const failed = [...lake].filter(([k]) => k.startsWith('errors/processing-failed/'));
    expect(failed).toHaveLength(1);
    const failure = JSON.parse(failed[0]![1].trim()) as Record<string, unknown>;
    expect(failure).toMatchObject({
      errorCode: 'Lambda.ProcessingFailedStatus',
      lambdaArn: 'arn:aws:lambda:us-east-1:000000000000:function:handler',
    });
    expect(Buffer.from(failure.rawData as string, 'base64').toString()).toBe('not json\n');

    // The backup has every line, untransformed, heartbeat and bad line included.
    const raw = [...(await files(join(dir, 'raw'))).values()].join('');
    expect(raw).toBe(lines.map((l) => l + '\n').join(''));
  });
});
