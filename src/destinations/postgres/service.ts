import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { optionalPeer } from '../../aws/optionalPeer.js';
import { DeliveryError } from '../DeliveryError.js';
import type { DeliveryAttempt, ItemFailure, SendOutcome } from '../Destination.js';
import { networkErrorKind } from '../networkErrorKind.js';
import { rowOffsets, type CopyRequest } from './buildCopyRequest.js';
import { NAME, type PostgresConfig, type PostgresPoolClient } from './options.js';
import { quoteIdentifier } from './quoteIdentifier.js';

/** pg-copy-streams, loaded at the first batch: importing rx-firehose loads neither it nor pg. */
const copyStreams = optionalPeer('pg-copy-streams', NAME, () => import('pg-copy-streams'));

/** A stream `client.query(stream)` runs: what `pg-copy-streams`' `from()` makes. */
type CopyQuery = NodeJS.WritableStream;
type QueryClient = PostgresPoolClient & { query(stream: CopyQuery): CopyQuery };

/** A rejected row: its index in the batch and the database's words. */
interface Rejected {
  readonly index: number;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** The line of COPY's data an error is about (1-based), from PostgreSQL's context (`COPY t, line 3: …`). */
function copyLineOf(err: unknown): number | undefined {
  const where = (err as { where?: unknown }).where;
  if (typeof where !== 'string') return undefined;
  const matches = [...where.matchAll(/(?:^|\n)COPY .*?, line (\d+)/g)];
  const last = matches[matches.length - 1];
  return last === undefined ? undefined : Number(last[1]);
}

/** A data exception (22…) or integrity constraint violation (23…) at a known line: that row's fault alone. */
function rowFault(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !(code.startsWith('22') || code.startsWith('23'))) return undefined;
  return copyLineOf(err);
}

function messageOf(err: unknown): string {
  const e = err as { message?: unknown; detail?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  return typeof e.detail === 'string' && e.detail !== '' ? `${message} (${e.detail})` : message;
}

/**
 * A failure of the whole batch as a {@link DeliveryError}: `Postgres.<SQLSTATE>` with the database's
 * message, or `Postgres.ConnectionFailed`/`.ConnectionReset`/… for the network. Every one is retried
 * within the retry duration (a missing table or column may be created meanwhile, as Firehose retries a
 * failing COPY), then the batch goes to the error output.
 */
function batchError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return new DeliveryError(`Postgres.${code}`, messageOf(err), { cause: err });
  if (typeof code === 'string') return new DeliveryError(`Postgres.${networkErrorKind(code)}`, messageOf(err), { cause: err });
  return new DeliveryError('Postgres.Error', messageOf(err), { cause: err });
}

/**
 * Loads rows `positions` (positions in the request) with one COPY; `before`, statements sent in the same
 * message ahead of it (`…; COPY …`).
 */
async function copyRows(
  client: QueryClient,
  config: PostgresConfig,
  request: CopyRequest,
  positions: readonly number[],
  before = '',
): Promise<void> {
  const { from } = await copyStreams();
  const { body } = request;
  let data: Buffer;
  if (positions.length === request.items.length) data = body;
  else {
    const offsets = rowOffsets(body);
    const parts = positions.map((p) => body.subarray(offsets[p]!, offsets[p + 1]!));
    data = Buffer.concat(parts);
  }
  await pipeline(Readable.from([data]), client.query(from(before + config.copySql)));
}

/**
 * Loads the rows at `positions` inside the open transaction, leaving out rows the database rejects: each
 * COPY runs in a savepoint; when it fails on a row (a constraint or a malformed value, at a known line),
 * the savepoint is rolled back, that row is set aside with the database's message, the rows before it are
 * loaded again (they were fine) and loading goes on after it. Each row is sent at most twice per rejected
 * row before it.
 */
async function copySkippingRejected(
  client: QueryClient,
  config: PostgresConfig,
  request: CopyRequest,
  positions: readonly number[],
  rejected: Rejected[],
): Promise<void> {
  let rest = positions;
  while (rest.length > 0) {
    await client.query('SAVEPOINT rx_firehose_copy');
    try {
      await copyRows(client, config, request, rest);
      await client.query('RELEASE SAVEPOINT rx_firehose_copy');
      return;
    } catch (err) {
      const line = rowFault(err);
      if (line === undefined || line < 1 || line > rest.length) throw err;
      await client.query('ROLLBACK TO SAVEPOINT rx_firehose_copy');
      const code = (err as { code: string }).code;
      rejected.push({ index: request.items[rest[line - 1]!]!, errorCode: `Postgres.${code}`, errorMessage: messageOf(err) });
      if (line > 1) await copySkippingRejected(client, config, request, rest.slice(0, line - 1), rejected);
      rest = rest.slice(line);
    }
  }
}

/** A string as an SQL literal, whatever `standard_conforming_strings` is: `E'…'`, quotes and backslashes doubled. */
function literal(text: string): string {
  return `E'${text.replace(/[\\']/g, (c) => c + c)}'`;
}

/** What a committed batch's row in the batch table says about its rejected rows. */
function outcomeOf(rejected: readonly Rejected[], location: string): SendOutcome<CopyRequest> {
  if (rejected.length === 0) return { status: 'accepted', location };
  const failed: ItemFailure[] = rejected.map((r) => ({ ...r, retriable: false }));
  return { status: 'partial', location, failed };
}

/**
 * The service of `postgresDestination`, the only code of it that talks to the database. One transaction
 * per batch, on one connection of the pool, in one round trip (as many as a bare COPY):
 *
 * ```
 * INSERT INTO <batchTable> (batch_id, …) VALUES (…); COPY <table> (<columns>) FROM STDIN
 * ```
 * one query message of two statements, which PostgreSQL runs as one implicit transaction (committed after
 * the COPY, both rolled back when either fails): the batch's id (unique, so a batch commits once), then the
 * whole batch in one COPY, one body.
 * - A row the database rejects (a constraint, a malformed value) fails the COPY: the transaction is
 *   rolled back and the batch loaded again, in an explicit transaction and savepoints, without the rejected rows
 *   ({@link copySkippingRejected}), its batch-table row written after them. They come back as failed
 *   items with the database's message; the rest commit.
 * - The batch id already in the batch table means an earlier send committed and its answer was lost: the
 *   transaction is rolled back and the earlier outcome (its rejected rows, kept in that table) returned.
 * - Anything else fails the send, to be retried ({@link batchError}). Aborting closes the connection; the
 *   server rolls back what was not committed.
 */
export async function copyBatch(
  config: PostgresConfig,
  ensureBatchTable: (client: QueryClient) => Promise<void>,
  request: CopyRequest,
  { batchId, signal }: DeliveryAttempt,
): Promise<SendOutcome<CopyRequest>> {
  signal.throwIfAborted();
  let client: QueryClient;
  try {
    client = (await config.pool.connect()) as QueryClient;
  } catch (err) {
    throw batchError(err);
  }
  const onAbort = (): void => client.release(new Error('aborted: the pipeline was unsubscribed'));
  // Aborted while the connection was being taken: close it at once, it was never used.
  if (signal.aborted) {
    onAbort();
    throw signal.reason;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  const id = request.ids[0] ?? batchId;
  const location = `postgres:${config.table}#${id}`;
  const batches = quoteIdentifier(config.batchTable);
  const all = request.items.map((_item, position) => position);
  try {
    await ensureBatchTable(client);
    /** Committed before: the answer to an earlier send was lost. Its outcome (its rejected rows) again. */
    const committedBefore = async (): Promise<SendOutcome<CopyRequest>> => {
      const prior = await client.query(`SELECT rejected FROM ${batches} WHERE batch_id = $1`, [id]);
      client.release();
      return outcomeOf(((prior.rows[0] as { rejected?: Rejected[] } | undefined)?.rejected ?? []) as Rejected[], location);
    };
    const isDuplicate = (err: unknown): boolean => (err as { code?: unknown }).code === '23505' && rowFault(err) === undefined;
    try {
      // The batch's row first: a batch committed before is recognised before its rows are sent again.
      await copyRows(
        client,
        config,
        request,
        all,
        `INSERT INTO ${batches} (batch_id, target, rows, rejected) VALUES (${literal(id)}, ${literal(config.table)}, ${all.length}, '[]'); `,
      );
      client.release();
      return outcomeOf([], location);
    } catch (err) {
      // A failed statement rolled back both (the COPY sent nothing to a batch row that conflicted).
      if (isDuplicate(err)) return await committedBefore();
      if (rowFault(err) === undefined) throw err;
    }
    const rejected: Rejected[] = [];
    await client.query('BEGIN');
    await copySkippingRejected(client, config, request, all, rejected);
    try {
      await client.query(`INSERT INTO ${batches} (batch_id, target, rows, rejected) VALUES ($1, $2, $3, $4)`, [
        id,
        config.table,
        all.length - rejected.length,
        JSON.stringify(rejected),
      ]);
    } catch (err) {
      if ((err as { code?: unknown }).code !== '23505') throw err;
      await client.query('ROLLBACK');
      return await committedBefore();
    }
    await client.query('COMMIT');
    client.release();
    return outcomeOf(rejected, location);
  } catch (err) {
    if (!signal.aborted) client.release(err instanceof Error ? err : true);
    if (signal.aborted) throw signal.reason;
    throw batchError(err);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Creates the batch table when it is missing (`CREATE TABLE IF NOT EXISTS`). */
export async function createBatchTable(client: PostgresPoolClient, batchTable: string): Promise<void> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(batchTable)} (
       batch_id text PRIMARY KEY,
       target text NOT NULL,
       rows integer NOT NULL,
       rejected jsonb NOT NULL,
       committed_at timestamptz NOT NULL DEFAULT now())`,
  );
}
