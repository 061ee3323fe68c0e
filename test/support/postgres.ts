/**
 * A real, throw-away PostgreSQL server for tests: Debian's `postgresql` (15), one cluster per call, in a
 * fresh temp directory, on 127.0.0.1 only.
 *
 *  1. `aptInstall(['postgresql'])` when the server binaries are missing (root with apt-get).
 *  2. `initdb -A trust --no-sync` as the `postgres` user (initdb refuses root) into `<tmp>/data`.
 *  3. `postgres -D <tmp>/data` in the foreground, as a direct child run through `setpriv` (user postgres,
 *     `--pdeathsig KILL`: the kernel kills the server if this process dies abruptly), with
 *     `listen_addresses=127.0.0.1`, a free port, its socket in the temp dir and `fsync=off`. Ready when the
 *     server logs "ready to accept connections" (about 0.7 s in all).
 *  4. `stop()`: SIGINT (PostgreSQL's "fast" shutdown), SIGKILL after 5 s, then the directory is removed.
 *     A process 'exit' handler SIGKILLs servers a test forgot to stop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { aptInstall } from './aptInstall.js';
import { freePorts } from './freePorts.js';

const BIN = '/usr/lib/postgresql/15/bin';
const START_TIMEOUT_MS = 60_000;

export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: 'postgres';
  readonly database: 'postgres';
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  /** The server's process id (a test may SIGSTOP it). */
  readonly pid: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHandlerInstalled = false;

function ensureInstalled(): void {
  if (existsSync(join(BIN, 'postgres'))) return;
  const failure = aptInstall(['postgresql']);
  if (failure !== undefined || !existsSync(join(BIN, 'postgres'))) {
    throw new Error(`PostgreSQL 15 is needed (Debian package postgresql): ${failure ?? `${BIN}/postgres is missing`}`);
  }
}

function ids(): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error('the postgres user is missing (Debian package postgresql creates it)');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Starts a fresh PostgreSQL 15 on a free port of 127.0.0.1. */
export async function startPostgres(): Promise<PostgresServer> {
  ensureInstalled();
  const { uid, gid } = ids();
  const dir = mkdtempSync(join(tmpdir(), 'rx-firehose-postgres-'));
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  const init = spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, 'initdb'), '-D', data, '-A', 'trust', '--no-sync', '-E', 'UTF8'], {
    encoding: 'utf8',
    timeout: START_TIMEOUT_MS,
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.status}): ${init.stderr}${init.stdout}`);
  }
  const [port] = await freePorts(1);
  const args = [
    '--reuid=postgres',
    '--regid=postgres',
    '--init-groups',
    '--pdeathsig',
    'KILL',
    '--',
    join(BIN, 'postgres'),
    '-D',
    data,
    '-c',
    'listen_addresses=127.0.0.1',
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ];
  const child = spawn('setpriv', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => (live.delete(child), resolve())));
  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`PostgreSQL did not start within ${START_TIMEOUT_MS} ms:\n${log}`)),
        START_TIMEOUT_MS,
      );
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        log += chunk;
        if (log.includes('ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL exited (code ${code}) before it was ready:\n${log}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // Keep draining the log so the server never blocks on a full pipe.
  child.stderr!.resume();
  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: port!,
    user: 'postgres',
    database: 'postgres',
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pid: child.pid!,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT');
          const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(kill);
        }
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

/** A PostgreSQL server for the tests of one file: started in `beforeAll`, stopped in `afterAll`. */
export function usePostgres(): { server: PostgresServer; pool: pg.Pool } {
  const fixture = { server: undefined as unknown as PostgresServer, pool: undefined as unknown as pg.Pool };
  beforeAll(async () => {
    fixture.server = await startPostgres();
    fixture.pool = new pg.Pool({ connectionString: fixture.server.url, max: 4 });
    // An idle connection closed by the server (at stop) is not a test failure.
    fixture.pool.on('error', () => undefined);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await fixture.pool?.end();
    await fixture.server?.stop();
  });
  return fixture;
}
