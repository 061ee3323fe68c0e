import type { Destination } from '../Destination.js';
import { buildCopyRequest, type CopyRequest } from './buildCopyRequest.js';
import { checkPostgresOptions, type PostgresDestinationOptions, type PostgresPoolClient } from './options.js';
import { copyBatch, createBatchTable } from './service.js';

export type { CopyRequest } from './buildCopyRequest.js';
export type { PostgresDestinationOptions, PostgresPool, PostgresPoolClient } from './options.js';

/**
 * PostgreSQL: each batch is loaded into a table with `COPY … FROM STDIN`, in one transaction.
 *
 * Records are JSON: either their fields fill `columns` (each column from the field of the same name), or
 * each record goes whole into one `json`/`jsonb` column (`jsonColumn`). The batch's id is written to a
 * batch table in the same transaction, so a batch whose answer was lost is not loaded twice when it is
 * sent again. Rows the database rejects (a constraint, a value of the wrong type) go to the error output
 * with the database's message, and the rest of the batch commits. Other failures (the server is down, the
 * table is missing) are retried for `retryDurationMs` (default 1 h), then the batch goes to the error output.
 *
 * Needs the optional peers `pg` (your pool) and `pg-copy-streams` (loaded at the first batch).
 *
 * ## Example
 * ```ts
 * import pg from 'pg';
 * import { directoryDestination, postgresDestination } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const pool = new pg.Pool({ connectionString: 'postgres://loader@127.0.0.1:5432/analytics' });
 * const events = postgresDestination({ pool, table: 'events', columns: ['id', 'kind', 'payload'] });
 * records$.pipe(bufferBySizeOrTime({ maxRecords: 10_000, maxMs: 5_000 }), deliverTo(events, { errorOutput: directoryDestination({ path: '/var/errors' }) }));
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option.
 */
export function postgresDestination(options: PostgresDestinationOptions): Destination<CopyRequest> {
  const config = checkPostgresOptions(options);
  let batchTable: Promise<void> | undefined;
  const ensureBatchTable = (client: PostgresPoolClient): Promise<void> =>
    (batchTable ??= createBatchTable(client, config.batchTable).catch((err: unknown) => {
      batchTable = undefined;
      throw err;
    }));
  return {
    name: 'Postgres',
    errorOutputType: 'postgres-failed',
    retryDurationMs: config.retryDurationMs,
    build: (batch, { batchId }) => buildCopyRequest(batch, config.fields, batchId),
    send: (request, attempt) => copyBatch(config, ensureBatchTable, request, attempt),
  };
}
