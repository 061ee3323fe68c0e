import { createRequire } from 'node:module';
import type { PostgresPool } from '../destinations/postgres/options.js';
import { MissingPeerDependencyError } from '../errors/MissingPeerDependencyError.js';

const require = createRequire(import.meta.url);

/** What a pool is built from: a connection's parts. */
export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** TLS, verifying the server's certificate. */
  readonly tls: boolean;
}

/**
 * A `pg` `Pool` for a mapped configuration, with `pg` loaded only now (an optional peer: importing
 * rx-firehose loads neither it nor `pg-copy-streams`). Idle connections the server closes are not errors
 * of the pipeline: the next batch takes a new one.
 *
 * ## Example
 * ```ts
 * const pool = postgresPoolFor({ host: '127.0.0.1', port: 5432, database: 'analytics', tls: false }, 'RxFirehosePostgreSQLDestinationConfiguration');
 * ```
 */
export function postgresPoolFor(connection: PostgresConnection, neededBy: string): PostgresPool & { end(): Promise<void> } {
  let pg: typeof import('pg');
  try {
    pg = require('pg') as typeof import('pg');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes("'pg'"))
      throw new MissingPeerDependencyError('pg', neededBy, { cause: err });
    throw err;
  }
  const pool = new pg.Pool({
    host: connection.host,
    port: connection.port,
    database: connection.database,
    ...(connection.user === undefined ? {} : { user: connection.user }),
    ...(connection.password === undefined ? {} : { password: connection.password }),
    ...(connection.tls ? { ssl: { rejectUnauthorized: true } } : {}),
    max: 4,
    // Idle connections do not keep a finished process alive.
    allowExitOnIdle: true,
  });
  pool.on('error', () => undefined);
  return pool;
}
