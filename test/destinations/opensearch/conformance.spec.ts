import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asLegacyDestination } from '../../../src/destinations/asLegacyDestination.js';
import { directoryDestination } from '../../../src/destinations/directory/index.js';
import { openSearchDestination, type BulkRequest } from '../../../src/destinations/opensearch/index.js';
import type { FirehoseRecord } from '../../../src/index.js';
import { startOpenSearchBulkServer } from '../../support/openSearchBulkServer.js';
import { readFailureRecords } from '../../support/readFailureRecords.js';
import { describeDestinationConformance } from '../conformance.js';

describeDestinationConformance('openSearchDestination (to the _bulk test server on 127.0.0.1)', {
  create: async () => {
    const server = await startOpenSearchBulkServer();
    const errors = await mkdtemp(join(tmpdir(), 'rx-firehose-opensearch-conformance-'));
    return {
      destination: asLegacyDestination<BulkRequest, FirehoseRecord>(openSearchDestination({ endpoint: server.endpoint, indexName: 'conformance' })),
      errorOutput: directoryDestination({ path: errors, streamName: 'conformance', fsync: false }),
      // Each document's source: the record's JSON line (the builder sends it without its newline).
      readDelivered: async () => server.documents().map((d) => d.source),
      readFailures: () => readFailureRecords(errors),
      close: async () => {
        await server.stop();
        await rm(errors, { recursive: true, force: true });
      },
    };
  },
});
