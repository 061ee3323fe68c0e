import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { from, lastValueFrom, toArray } from 'rxjs';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformWithLambda } from '../../operators/index.js';
import type { FirehoseRecord } from '../../src/index.js';
import { memoryDestination } from '../../src/testing/index.js';
import { startLambdaOffline, type LambdaOffline } from '../support/lambda.js';

// A blueprint deployed as it is: its one source file compiled on its own (nothing else of rx-firehose
// beside it), run by serverless-offline behind the real Lambda Invoke API, invoked by transformWithLambda.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let offline: LambdaOffline | undefined;
let client: LambdaClient;

beforeAll(async () => {
  const source = await readFile(join(root, 'src/blueprints/apacheLog.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  await mkdir(join(root, 'test/support/lambda/blueprints'), { recursive: true });
  await writeFile(join(root, 'test/support/lambda/blueprints/apacheLog.mjs'), outputText);
  offline = await startLambdaOffline();
  client = offline.client();
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await offline?.stop();
});

describe('a blueprint deployed to a Lambda Invoke API (serverless-offline)', () => {
  it('should parse Apache access log lines and fail a malformed one, as it does in process', async () => {
    const lines = [
      '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
      'not an access log line',
    ];
    const input: FirehoseRecord[] = lines.map((l, i) => ({
      recordId: `r${i}`,
      data: Buffer.from(l),
      approximateArrivalTimestamp: 1_000 + i,
    }));
    const errors = memoryDestination<FirehoseRecord>();
    const out = await lastValueFrom(
      from(input).pipe(
        transformWithLambda({ client, functionName: 'apacheLogToJson' }, { errorOutput: errors, numberOfRetries: 0 }),
        toArray(),
      ),
    );
    expect(out.map((r) => JSON.parse(Buffer.from(r.data).toString('utf8')))).toEqual([
      expect.objectContaining({
        host: '127.0.0.1',
        authuser: 'frank',
        status: 200,
        size: 2326,
        agent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
      }),
    ]);
    expect(errors.failureWrites.flatMap((w) => w.failures)).toMatchObject([
      { errorCode: 'Lambda.ProcessingFailedStatus', rawData: Buffer.from(lines[1]!).toString('base64') },
    ]);
  });
});
