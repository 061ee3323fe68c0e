import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverTo } from '../../../operators/index.js';
import { httpEndpointDestination } from '../../../src/destinations/http/index.js';
import { toRecords } from '../../../src/index.js';
import { memoryDestination } from '../../../src/testing/index.js';
import { until } from './support.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('examples/http-endpoint/server.ts', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
  });

  it('should receive what httpEndpointDestination sends, and refuse a wrong access key', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/http-endpoint/server.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', FIREHOSE_ACCESS_KEY: 'example-key' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await until(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(stderr) || child!.exitCode !== null, 'the example to listen', 20_000);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    expect(url, stderr).toBeDefined();

    const send = (accessKey: string) =>
      lastValueFrom(
        from(['first', 'second', 'third']).pipe(
          toRecords(),
          toArray(),
          deliverTo(httpEndpointDestination({ url: url!, accessKey, streamName: 'example', retryDurationMs: 0 }), {
            errorOutput: memoryDestination(),
          }),
        ),
      );
    const ok = await send('example-key');
    expect(ok.status).toBe('delivered');
    await until(() => stdout.split('\n').length > 3, 'three lines on stdout');
    const lines = stdout.trim().split('\n');
    const requestId = /#requestId=(.+)$/.exec(ok.location!)?.[1];
    expect(lines).toEqual(
      ['first', 'second', 'third'].map((d) => `arn:aws:firehose:us-east-1:000000000000:deliverystream/example ${requestId} ${d}`),
    );

    const refused = await send('wrong-key');
    expect(refused).toMatchObject({
      status: 'failed-to-error-output',
      errorCode: 'HttpEndpoint.DestinationException',
      errorMessage: 'the X-Amz-Firehose-Access-Key is not valid',
    });
  });
});
