import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asLegacyDestination } from '../../../src/destinations/asLegacyDestination.js';
import { directoryDestination } from '../../../src/destinations/directory/index.js';
import { openSearchDestination, type BulkRequest } from '../../../src/destinations/opensearch/index.js';
import type { FailureRecord, FirehoseRecord } from '../../../src/index.js';
import { startOpenSearchBulkServer } from '../../support/openSearchBulkServer.js';
import { describeDestinationConformance } from '../conformance.js';

async function readFailureRecords(root: string): Promise<FailureRecord[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const lines: FailureRecord[] = [];
  for (const e of entries.filter((x) => x.isFile())) {
    for (const l of (await readFile(join(e.parentPath, e.name), 'utf8')).split('\n')) if (l !== '') lines.push(JSON.parse(l) as FailureRecord);
  }
  return lines;
}

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
