/**
 * An HTTP endpoint that Amazon Data Firehose, or rx-firehose's `httpEndpointDestination`, can deliver to.
 * It prints every record it receives as one line: `<source ARN> <request id> <data>`.
 *
 *   FIREHOSE_ACCESS_KEY=secret PORT=8080 node --import tsx examples/http-endpoint/server.ts
 *
 * Real Firehose delivers only to https on port 443: serve it with `https.createServer({ key, cert }, listener)`
 * or behind a TLS-terminating proxy. In your own project, import from 'rx-firehose'.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpEndpointListener } from '../../src/index.js';

const listener = httpEndpointListener(
  async (records, { requestId, sourceArn }) => {
    for (const { data } of records) console.log(`${sourceArn} ${requestId} ${data.toString('utf8')}`);
  },
  { accessKey: process.env.FIREHOSE_ACCESS_KEY },
);

const server = createServer(listener).listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.error(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
