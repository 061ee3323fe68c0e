import { Buffer } from 'node:buffer';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { httpEndpointListener } from '../src/receivers/http/index.js';
import { parseRequestBody } from '../src/protocols/httpEndpoint/parseRequestBody.js';

const MIB = 1_048_576;

/** A valid request body of about `bytes`: 1,000-byte records, base64. */
function validBody(bytes: number): Buffer {
  const data = Buffer.alloc(1_000, 7).toString('base64');
  const count = Math.min(10_000, Math.ceil(bytes / (data.length + 12)));
  return Buffer.from(JSON.stringify({ requestId: 'bench', timestamp: 1, records: Array.from({ length: count }, () => ({ data })) }));
}

/** The longest event-loop stall (ms) while `work` runs. */
async function worstStallMs(work: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  await work();
  histogram.disable();
  return histogram.max / 1e6;
}

function post(port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        agent: false,
        headers: {
          'X-Amz-Firehose-Protocol-Version': '1.0',
          'X-Amz-Firehose-Request-Id': 'bench',
          'X-Amz-Firehose-Source-Arn': 'arn:aws:firehose:us-east-1:000000000000:deliverystream/bench',
          'Content-Type': 'application/json',
          'Content-Length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The receiver's worst event-loop stall while it takes a large valid body (10,000 records, about 13 MiB)
 * and a 20 MiB deeply nested one, against the baseline of parsing the same bodies whole in one
 * synchronous `JSON.parse` (what it did before), in the same process.
 */
export async function benchReceiver(): Promise<void> {
  const server = createServer(httpEndpointListener(() => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const valid = validBody(64 * MIB);
  const nested = Buffer.from('['.repeat(10 * MIB) + ']'.repeat(10 * MIB));
  try {
    for (const [name, body, expected] of [
      [`valid body, ${(valid.length / MIB).toFixed(1)} MiB`, valid, 200],
      [`nested body, ${(nested.length / MIB).toFixed(1)} MiB`, nested, 400],
    ] as const) {
      await post(port, body); // warm up
      // A synchronous parse stalls the event loop for as long as it runs.
      const started = performance.now();
      try {
        parseRequestBody({ bytes: body });
      } catch {
        // a nested body fails either way
      }
      const baseline = performance.now() - started;
      let status = 0;
      const receiver = await worstStallMs(async () => (status = await post(port, body)));
      if (status !== expected) throw new Error(`${name}: the receiver answered ${status}, not ${expected}`);
      console.log(
        `receiver, ${name}: worst event-loop stall ${receiver.toFixed(0)} ms; one synchronous parse of it ${baseline.toFixed(0)} ms ` +
          `(ratio ${(receiver / baseline).toFixed(2)})`,
      );
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
