import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryDestination } from '../../../src/destinations/directory/index.js';
import { openSearchDestination } from '../../../src/destinations/opensearch/index.js';
import { startOpenSearchBulkServer } from '../../support/openSearchBulkServer.js';
import { readFailureRecords } from '../../support/readFailureRecords.js';
import { describeDestinationConformance, recordsOf } from '../conformance.js';

describeDestinationConformance('openSearchDestination (to the _bulk test server on 127.0.0.1)', {
  create: async () => {
    // Wire requests marked by failWireOnce (by their X-Opaque-Id): the server answers them 503 once.
    const failing = new Set<string>();
    const server = await startOpenSearchBulkServer({
      failRequest: ({ headers }) => {
        const id = headers['x-opaque-id'];
        return typeof id === 'string' && failing.delete(id)
          ? { status: 503, body: { error: { type: 'cluster_block_exception', reason: 'refused once on purpose' }, status: 503 } }
          : undefined;
      },
    });
    const errors = await mkdtemp(join(tmpdir(), 'rx-firehose-opensearch-conformance-'));
    return {
      // Requests of at most 2 KiB: a batch of 40 records needs several.
      destination: openSearchDestination({ endpoint: server.endpoint, indexName: 'conformance', maxRequestBytes: 2048 }),
      errorOutput: directoryDestination({ path: errors, streamName: 'conformance', fsync: false }),
      // Each document's source: the record's JSON line (the builder sends it without its newline).
      readDelivered: async () => server.documents().map((d) => d.source),
      readFailures: () => readFailureRecords(errors),
      splitBatch: () => recordsOf(40),
      failWireOnce: (id) => void failing.add(id),
      close: async () => {
        await server.stop();
        await rm(errors, { recursive: true, force: true });
      },
    };
  },
});
