import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { deliverTo } from '../../operators/index.js';
import { directoryDestination, httpEndpointDestination, type FailureRecord, type FirehoseRecord } from '../../src/index.js';
import { httpEndpointListener } from '../../src/receivers/http/index.js';
import { startServer, type TestServer } from '../receivers/http/support.js';

// Fault suite: httpEndpointDestination against a fault-injecting endpoint, a test double built on the real
// receiver (httpEndpointListener): before each request it may answer 500, 503, 429 or 413, reset the
// connection, hang, or answer 200 with another request's id. Bounded: 300 records, 30 batches, on 127.0.0.1.
type Fault = 'none' | '500' | '503' | '429' | '413' | 'reset' | 'hang' | 'wrong-id';
const FAULTS: readonly Fault[] = ['500', 'none', '503', 'reset', '429', 'none', 'hang', 'wrong-id', '413', 'none', 'none'];
const KEY = 'fault-suite-key';

let server: TestServer | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await server?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('fault suite: HTTP endpoint destination against a fault-injecting endpoint', () => {
  it('should account for every record: accepted by the endpoint, or a failure record; none lost', async () => {
    const accepted = new Set<string>();
    const injected = new Map<Fault, number>();
    let n = 0;
    const receiver = httpEndpointListener((records) => records.forEach((r) => accepted.add(r.data.toString('utf8'))), { accessKey: KEY });
    const answer = (res: ServerResponse, status: number, requestId: string): void => {
      const body = JSON.stringify({ requestId, timestamp: Date.now(), errorMessage: `injected ${status}` });
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
    };
    server = await startServer((req: IncomingMessage, res: ServerResponse) => {
      const fault = FAULTS[n++ % FAULTS.length]!;
      injected.set(fault, (injected.get(fault) ?? 0) + 1);
      const id = String(req.headers['x-amz-firehose-request-id']);
      if (fault === 'none') return void receiver(req, res); // the real receiver reads the body
      req.resume();
      switch (fault) {
        case 'reset':
          return void req.socket.destroy();
        case 'hang':
          return; // never answered
        case 'wrong-id':
          return void req.on('end', () => answer(res, 200, `not-${id}`));
        default:
          return void req.on('end', () => answer(res, Number(fault), id));
      }
    });
    const errors = await mkdtemp(join(tmpdir(), 'rx-firehose-faults-'));
    dirs.push(errors);
    const records: FirehoseRecord[] = Array.from({ length: 300 }, (_, i) => ({
      recordId: String(i),
      data: new TextEncoder().encode(`record-${i}`),
      approximateArrivalTimestamp: Date.UTC(2026, 0, 1),
    }));
    const batches = Array.from({ length: 30 }, (_, b) => records.slice(b * 10, b * 10 + 10));
    const destination = httpEndpointDestination<FirehoseRecord>({
      url: `${server.origin}/firehose`,
      accessKey: KEY,
      requestTimeoutMs: 300,
      retryDurationMs: 60_000,
    });
    const results = await lastValueFrom(
      from(batches).pipe(
        deliverTo(destination, {
          errorOutput: directoryDestination({ path: errors, fsync: false }),
          backoff: { initialMs: 1, maxMs: 5 },
          random: () => 0.5,
          concurrency: 3,
        }),
        toArray(),
      ),
    );
    const failures: FailureRecord[] = [];
    for (const e of await readdir(errors, { recursive: true, withFileTypes: true })) {
      if (e.isFile())
        failures.push(
          ...(await readFile(join(e.parentPath, e.name), 'utf8'))
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as FailureRecord),
        );
    }
    const failed = new Set(failures.map((f) => Buffer.from(f.rawData, 'base64').toString('utf8')));
    const lost = records.filter((r) => {
      const t = new TextDecoder().decode(r.data);
      return !accepted.has(t) && !failed.has(t);
    });
    const byCode = new Map<string, number>();
    failures.forEach((f) => byCode.set(f.errorCode, (byCode.get(f.errorCode) ?? 0) + 1));
    console.log(
      `HTTP endpoint faults: ${n} requests (${[...injected].map(([f, c]) => `${f} ${c}`).join(', ')}); ${records.length} records: ${accepted.size} accepted, ` +
        `${failed.size} to the error output (${[...byCode].map(([c, k]) => `${c} ${k}`).join(', ')}), ${lost.length} lost`,
    );
    expect(lost).toEqual([]);
    expect(results).toHaveLength(30);
    // Only a 413 is final at once; every other fault was retried until the request went through.
    expect([...byCode.keys()]).toEqual(['HttpEndpoint.DestinationException']);
    expect(failed.size).toBe(10 * injected.get('413')!);
    for (const fault of ['500', '503', '429', '413', 'reset', 'hang', 'wrong-id'] as const)
      expect(injected.get(fault) ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
