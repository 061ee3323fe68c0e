import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryDestination } from '../../../src/destinations/directory/index.js';
import { postgresDestination } from '../../../src/destinations/postgres/index.js';
import { usePostgres } from '../../support/postgres.js';
import { readFailureRecords } from '../../support/readFailureRecords.js';
import { describeDestinationConformance } from '../conformance.js';

const db = usePostgres();
let tables = 0;

describeDestinationConformance('postgresDestination (to PostgreSQL 15 on 127.0.0.1)', {
  // One transaction per batch: a batch is one wire request, resent whole, and committed once.
  oneWireRequestPerBatch: true,
  create: async () => {
    const table = `conformance_${++tables}`;
    // A json column keeps each record's text as it was sent.
    await db.pool.query(`CREATE TABLE ${table} (doc json NOT NULL)`);
    const errors = await mkdtemp(join(tmpdir(), 'rx-firehose-postgres-conformance-'));
    return {
      destination: postgresDestination({ pool: db.pool, table, jsonColumn: 'doc' }),
      errorOutput: directoryDestination({ path: errors, streamName: 'conformance', fsync: false }),
      readDelivered: async () => (await db.pool.query<{ doc: string }>(`SELECT doc::text AS doc FROM ${table}`)).rows.map((r) => r.doc),
      readFailures: () => readFailureRecords(errors),
      close: async () => {
        await db.pool.query(`DROP TABLE ${table}`);
        await rm(errors, { recursive: true, force: true });
      },
    };
  },
});
