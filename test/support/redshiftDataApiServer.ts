/**
 * A Redshift Data API TEST SERVER, written from the API's public description (the `RedshiftData` service:
 * awsJson1_1, `POST /` with `X-Amz-Target: RedshiftData.<Operation>`), for the real
 * `@aws-sdk/client-redshift-data` to talk to. There is no Redshift to install on a test machine: each
 * statement is executed with `pg` against a PostgreSQL-protocol server given at start (the Redshift test
 * stand-in in front of real PostgreSQL, so `COPY … MANIFEST` really loads from RADOS Gateway).
 *
 * Operations:
 * - `ExecuteStatement`: checks `Sql`, exactly one of `WorkgroupName` / `ClusterIdentifier` (a known one),
 *   `Database`, and for a cluster `DbUser` or `SecretArn` (else `ValidationException`, or
 *   `ResourceNotFoundException` for an unknown workgroup or cluster); answers at once with the new
 *   statement's `Id` (status `SUBMITTED`), then runs it: `STARTED` while the database works, then `FINISHED`
 *   (with `ResultRows`) or `FAILED` with `Error: "ERROR: <the database's message>"`, as Redshift words it. A
 *   `ClientToken` seen before answers with the statement it created (nothing runs again).
 * - `DescribeStatement`: `Id`, `Status`, `Error`, `QueryString`, `CreatedAt`, `UpdatedAt`, `Duration`
 *   (nanoseconds), `ResultRows`, `Database`, `WorkgroupName`/`ClusterIdentifier`; an unknown `Id` is
 *   `ResourceNotFoundException`.
 * - `CancelStatement`: a statement not yet finished becomes `ABORTED` (its outcome is then ignored; the
 *   database may still complete it, which this server does not undo); a finished one is a `ValidationException`.
 * Errors are `400` (`5xx` for server faults) with `x-amzn-ErrorType` and `{"__type","Message"}`.
 * Requests are not authenticated (the SDK signs them; the signature is not checked).
 *
 * Failure injection: {@link RedshiftDataApiServer.rejectNextExecutes} answers the next `ExecuteStatement`s
 * with an exception (e.g. `ActiveStatementsExceededException`) without running them;
 * {@link RedshiftDataApiServer.loseNextExecuteAnswers} runs them but destroys the connection instead of
 * answering (a lost answer). Statements that fail in the database are made with the stand-in's own
 * injection (`failNextCopies`, `holdCopies`) or a real cause (a dropped table).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { listenOnLoopback } from './listenOnLoopback.js';

export interface DataApiStatement {
  readonly Id: string;
  readonly Sql: string;
  readonly Database: string;
  readonly WorkgroupName?: string | undefined;
  readonly ClusterIdentifier?: string | undefined;
  readonly DbUser?: string | undefined;
  readonly SecretArn?: string | undefined;
  readonly ClientToken?: string | undefined;
  Status: 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';
  Error?: string | undefined;
  ResultRows?: number | undefined;
  readonly createdAtMs: number;
  updatedAtMs: number;
}

export interface RedshiftDataApiServer {
  /** `http://127.0.0.1:<port>`: the client's `endpoint`. */
  readonly endpoint: string;
  /** Every statement created, in order (a `ClientToken` seen before creates none). */
  readonly statements: DataApiStatement[];
  /** Every request, by operation, in order. */
  readonly calls: Array<{ readonly operation: string; readonly id?: string | undefined; readonly status?: string | undefined }>;
  /** The next `n` `ExecuteStatement`s are answered with `exception` (HTTP 400) and not run. */
  rejectNextExecutes(n: number, exception: string, message?: string): void;
  /** The next `n` `ExecuteStatement`s run, but their answer is lost: the connection is destroyed. */
  loseNextExecuteAnswers(n: number): void;
  /**
   * `DescribeStatement` answers wait (the request has been handled and logged in `calls`) until the
   * returned function is called: a poll held in flight.
   */
  holdDescribeAnswers(): () => void;
  /** Resolves when every statement started so far has finished in the database. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * Starts the test server. `clusterUrl` is where statements run (`postgres://user@host:port/<any>`: the
 * statement's `Database` replaces the path); `workgroups` and `clusters` are the names it knows.
 */
export async function startRedshiftDataApiServer(options: {
  clusterUrl: string;
  workgroups?: readonly string[];
  clusters?: readonly string[];
}): Promise<RedshiftDataApiServer> {
  const workgroups = new Set(options.workgroups ?? ['default']);
  const clusters = new Set(options.clusters ?? []);
  const pools = new Map<string, pg.Pool>();
  const poolFor = (database: string): pg.Pool => {
    let pool = pools.get(database);
    if (pool === undefined) {
      const url = new URL(options.clusterUrl);
      url.pathname = `/${encodeURIComponent(database)}`;
      pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
      pool.on('error', () => undefined);
      pools.set(database, pool);
    }
    return pool;
  };
  const statements: DataApiStatement[] = [];
  const byId = new Map<string, DataApiStatement>();
  const byToken = new Map<string, DataApiStatement>();
  const calls: RedshiftDataApiServer['calls'] = [];
  const running = new Set<Promise<void>>();
  const rejecting: Array<{ exception: string; message: string }> = [];
  let losing = 0;
  let heldDescribes: Array<() => void> | undefined;

  const run = (statement: DataApiStatement): void => {
    const done = (async () => {
      statement.Status = 'STARTED';
      statement.updatedAtMs = Date.now();
      try {
        const result = await poolFor(statement.Database).query(statement.Sql);
        if (statement.Status !== 'STARTED') return; // cancelled meanwhile
        statement.Status = 'FINISHED';
        statement.ResultRows = result.rowCount ?? -1;
      } catch (err) {
        if (statement.Status !== 'STARTED') return;
        statement.Status = 'FAILED';
        statement.Error = `ERROR: ${(err as Error).message}`;
      } finally {
        statement.updatedAtMs = Date.now();
      }
    })();
    running.add(done);
    void done.finally(() => running.delete(done));
  };

  const text = (input: Record<string, unknown>, field: string, required = false): string | undefined => {
    const v = input[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') throw new ApiError('ValidationException', `${field} must be a non-empty string`);
    return v;
  };

  const operations: Record<string, (input: Record<string, unknown>) => Record<string, unknown>> = {
    ExecuteStatement(input) {
      const injected = rejecting.shift();
      if (injected !== undefined) throw new ApiError(injected.exception, injected.message);
      const Sql = text(input, 'Sql', true)!;
      const WorkgroupName = text(input, 'WorkgroupName');
      const ClusterIdentifier = text(input, 'ClusterIdentifier');
      const Database = text(input, 'Database');
      const DbUser = text(input, 'DbUser');
      const SecretArn = text(input, 'SecretArn');
      const ClientToken = text(input, 'ClientToken');
      if ((WorkgroupName === undefined) === (ClusterIdentifier === undefined))
        throw new ApiError('ValidationException', 'Either WorkgroupName or ClusterIdentifier must be provided');
      if (Database === undefined && SecretArn === undefined) throw new ApiError('ValidationException', 'Database is required');
      if (ClusterIdentifier !== undefined && DbUser === undefined && SecretArn === undefined)
        throw new ApiError('ValidationException', 'Either DbUser or SecretArn must be provided with ClusterIdentifier');
      if (WorkgroupName !== undefined && DbUser !== undefined)
        throw new ApiError('ValidationException', 'DbUser is not supported with WorkgroupName');
      if (WorkgroupName !== undefined && !workgroups.has(WorkgroupName))
        throw new ApiError('ResourceNotFoundException', `Workgroup ${WorkgroupName} not found`, 400, { ResourceId: WorkgroupName });
      if (ClusterIdentifier !== undefined && !clusters.has(ClusterIdentifier))
        throw new ApiError('ResourceNotFoundException', `Cluster ${ClusterIdentifier} not found`, 400, { ResourceId: ClusterIdentifier });
      let statement = ClientToken === undefined ? undefined : byToken.get(ClientToken);
      if (statement === undefined) {
        const now = Date.now();
        statement = {
          Id: randomUUID(),
          Sql,
          Database: Database ?? 'dev',
          WorkgroupName,
          ClusterIdentifier,
          DbUser,
          SecretArn,
          ClientToken,
          Status: 'SUBMITTED',
          createdAtMs: now,
          updatedAtMs: now,
        };
        statements.push(statement);
        byId.set(statement.Id, statement);
        if (ClientToken !== undefined) byToken.set(ClientToken, statement);
        run(statement);
      }
      return {
        Id: statement.Id,
        CreatedAt: statement.createdAtMs / 1000,
        Database: statement.Database,
        ...(statement.WorkgroupName === undefined ? {} : { WorkgroupName: statement.WorkgroupName }),
        ...(statement.ClusterIdentifier === undefined ? {} : { ClusterIdentifier: statement.ClusterIdentifier }),
        ...(statement.DbUser === undefined ? {} : { DbUser: statement.DbUser }),
        ...(statement.SecretArn === undefined ? {} : { SecretArn: statement.SecretArn }),
      };
    },
    DescribeStatement(input) {
      const id = text(input, 'Id', true)!;
      const s = byId.get(id);
      if (s === undefined) throw new ApiError('ResourceNotFoundException', 'Query does not exist.', 400, { ResourceId: id });
      return {
        Id: s.Id,
        Status: s.Status,
        ...(s.Error === undefined ? {} : { Error: s.Error }),
        QueryString: s.Sql,
        Database: s.Database,
        ...(s.WorkgroupName === undefined ? {} : { WorkgroupName: s.WorkgroupName }),
        ...(s.ClusterIdentifier === undefined ? {} : { ClusterIdentifier: s.ClusterIdentifier }),
        ...(s.DbUser === undefined ? {} : { DbUser: s.DbUser }),
        CreatedAt: s.createdAtMs / 1000,
        UpdatedAt: s.updatedAtMs / 1000,
        Duration: (s.updatedAtMs - s.createdAtMs) * 1_000_000,
        HasResultSet: false,
        ...(s.ResultRows === undefined ? {} : { ResultRows: s.ResultRows }),
      };
    },
    CancelStatement(input) {
      const id = text(input, 'Id', true)!;
      const s = byId.get(id);
      if (s === undefined) throw new ApiError('ResourceNotFoundException', 'Query does not exist.', 400, { ResourceId: id });
      if (s.Status === 'FINISHED' || s.Status === 'FAILED' || s.Status === 'ABORTED')
        throw new ApiError('ValidationException', `Could not cancel a query that is already in ${s.Status} state with ID: ${id}`);
      s.Status = 'ABORTED';
      s.updatedAtMs = Date.now();
      return { Status: true };
    },
  };

  const answer = (res: ServerResponse, status: number, body: unknown, errorType?: string): void => {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': randomUUID(),
      ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
    });
    res.end(payload);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('RedshiftData.') ? target.slice('RedshiftData.'.length) : '';
      const handler = req.method === 'POST' ? operations[operation] : undefined;
      if (handler === undefined) {
        answer(res, 400, { __type: 'UnknownOperationException', Message: `unknown operation ${target}` }, 'UnknownOperationException');
        return;
      }
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        answer(res, 400, { __type: 'SerializationException', Message: 'the body is not JSON' }, 'SerializationException');
        return;
      }
      try {
        const output = handler(input);
        calls.push({ operation, id: (output.Id ?? input.Id) as string | undefined, status: output.Status as string | undefined });
        if (operation === 'ExecuteStatement' && losing > 0) {
          losing--;
          req.socket.destroy();
          return;
        }
        if (operation === 'DescribeStatement' && heldDescribes !== undefined) {
          heldDescribes.push(() => answer(res, 200, output));
          return;
        }
        answer(res, 200, output);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        calls.push({ operation, id: input.Id as string | undefined, status: err.type });
        answer(res, err.status, { __type: err.type, Message: err.message, ...err.extra }, err.type);
      }
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    endpoint: listening.endpoint,
    statements,
    calls,
    rejectNextExecutes: (n, exception, message = `${exception} (injected by the test server)`) => {
      for (let i = 0; i < n; i++) rejecting.push({ exception, message });
    },
    loseNextExecuteAnswers: (n) => void (losing += n),
    holdDescribeAnswers: () => {
      heldDescribes ??= [];
      return () => {
        const held = heldDescribes ?? [];
        heldDescribes = undefined;
        for (const release of held) release();
      };
    },
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    stop: async () => {
      await listening.stop();
      await Promise.allSettled([...running]);
      await Promise.all([...pools.values()].map((p) => p.end()));
    },
  };
}
