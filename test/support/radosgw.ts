/**
 * A real, throw-away S3 server for tests: Ceph's RADOS Gateway (radosgw) on a
 * one-monitor, one-OSD Ceph cluster whose only object store is RAM (memstore).
 *
 * How it works
 * ------------
 *  1. `install-radosgw.sh` (next to this file) is run first. It exits at once
 *     when the Ceph binaries are present, installs the Debian packages
 *     (radosgw ceph-mon ceph-osd ceph-common) when running as root with apt-get,
 *     and otherwise fails with a message naming the packages. Its output is
 *     put into the thrown Error when it fails.
 *  2. A fresh directory `os.tmpdir()/rx-firehose-radosgw-XXXXXX` holds
 *     everything: ceph.conf, the monitor store, the (empty) OSD dir, admin
 *     sockets, Ceph's pid files, logs, and our own pid files in `pids/`.
 *     Every instance has its own fsid (randomUUID), its own dir and its own
 *     ports, so instances never share state and can run side by side.
 *  3. Bootstrap: `monmaptool --create` + `ceph-mon --mkfs`, start `ceph-mon`,
 *     `ceph osd new <uuid>`, `ceph-osd --mkfs`, start `ceph-osd`, wait until
 *     the OSD is up, `radosgw-admin user create` (which also creates the RGW
 *     realm/zone and pools), start `radosgw`, poll ListBuckets with the
 *     created credentials until it succeeds, then warm up (see traps).
 *     Measured: ~1.1-1.5 s once installed. Total budget: 120 s after the
 *     install step; on failure the Error carries the tail of every log and
 *     everything started so far is killed and removed.
 *     Directories of instances whose Node process was killed abruptly (older
 *     than 10 minutes, no recorded pid alive) are swept on the next start.
 *  4. `stop()` stops the daemons in reverse start order (radosgw, OSD,
 *     monitor): SIGTERM, SIGKILL if still alive after 3 s, wait until reaped;
 *     then deletes the directory (~0.2 s). It is idempotent.
 *     Set RADOSGW_KEEP_DIR=1 to keep the directory (logs) for debugging.
 *
 * Network: everything binds to 127.0.0.1 only: the monitor on a free port
 * (msgr2 only, no msgr1, no IPv6), the OSD inside Ceph's own port range
 * (6800-7300) on 127.0.0.1, and the beast frontend on a second free port.
 * Free ports are found by listening on port 0 on 127.0.0.1 and closing again,
 * so there is a tiny window in which someone else could take the port.
 *
 * Process lifetime: daemons are run in the foreground (`-f`) as direct
 * children (not detached, no self-daemonizing), so their pids are the pids
 * Node got from spawn(); those are written to `<dir>/pids/<name>.pid`.
 * Abrupt death of the Node process is covered twice:
 *   - every Ceph process is exec'ed through `setpriv --pdeathsig KILL`
 *     (util-linux), so the kernel SIGKILLs it when its parent dies, even on
 *     SIGKILL of Node (falls back to a plain spawn when setpriv is missing);
 *   - a process 'exit' handler SIGKILLs all live daemons synchronously and
 *     removes their directories (covers process.exit() and normal exit).
 * Children are unref()'d: a script that forgets stop() still exits (and the
 * 'exit' handler then cleans up).
 *
 * Traps (found the hard way)
 * --------------------------
 *  - With `auth * required = none`, radosgw could not authenticate to the
 *    monitor ("get_initial_auth_request returned -13", retried forever):
 *    the "none" auth method cannot provide the "secure" connection mode and
 *    radosgw ended up with only "secure" for mon connections. Fix:
 *    `ms mon client mode = crc secure` (and crc-first for the other modes).
 *  - Pacific (16.2, Debian 12's version) refuses pools of size 1 unless
 *    `mon allow pool size one = true`; it is set, with the size-1 defaults.
 *  - On SIGTERM an OSD tells the monitor it is going down and waits up to
 *    5 s (osd_mon_shutdown_timeout) if the monitor is already gone:
 *    `osd fast shutdown notify mon = false` makes it exit at once.
 *  - radosgw's lifecycle (LC) thread sleeps in 5 s steps and makes SIGTERM
 *    take ~4.7 s: `rgw enable lc threads = false` (so S3 lifecycle rules are
 *    stored but never executed). And radosgw never finishes shutting down
 *    once the monitor is gone, hence the reverse stop order.
 *  - RGW creates its pools lazily and every monitor map change waited for
 *    `paxos propose interval` (1 s): start took ~13 s and the first
 *    CreateBucket / PutObject / CreateMultipartUpload took ~2 s each.
 *    `paxos propose interval = 0.01` plus a warm-up (create bucket, put,
 *    start+abort a multipart upload, delete) make start ~1.5 s and keep the
 *    first requests of a test fast.
 *  - CompleteMultipartUpload's response has an EMPTY ETag (`<ETag></ETag>`,
 *    an RGW 16.2 bug); HeadObject / GetObject / ListObjectsV2 return the real
 *    multipart ETag ("<md5 of part md5s>-<parts>").
 *  - PutObject with a stream body needs ContentLength (411
 *    MissingContentLength otherwise, as on AWS).
 *  - RGW enforces S3 bucket naming (3-63 chars...): InvalidBucketName.
 *  - radosgw does not write its `pid file` in foreground mode, which is one
 *    reason we record pids ourselves.
 *  - The daemons do NOT switch to the `ceph` user on their own (only the
 *    systemd units pass `--setuser ceph`), so run as root they stay root and
 *    can use the temp directory; no --setuser is passed.
 *  - PR_SET_PDEATHSIG fires when the *thread* that spawned the child exits:
 *    starting the gateway inside a worker_thread ties the daemons' lifetime
 *    to that worker (vitest's default 'forks' pool is fine).
 *  - A stray CEPH_ARGS / CEPH_CONF in the environment would leak into every
 *    Ceph command; they are removed from the children's environment.
 *  - S3 clients need `forcePathStyle: true` (no wildcard DNS) and
 *    `requestChecksumCalculation: 'WHEN_REQUIRED'`: with the SDK's default
 *    (WHEN_SUPPORTED) a stream body is sent aws-chunked with a trailing
 *    checksum, which this RGW rejects with 411 MissingContentLength even
 *    when ContentLength is given; use s3ClientFor().
 *  - Data lives in the OSD's RAM (memstore, capped at 2 GiB here): big tests
 *    cost real memory, and everything vanishes on stop().
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { freePorts } from './freePorts.js';

export interface RadosGateway {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  dir: string;
  stop(): Promise<void>;
}

const INSTALL_SCRIPT = fileURLToPath(new URL('./install-radosgw.sh', import.meta.url));
const START_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const TERM_GRACE_MS = 3_000;
const MEMSTORE_BYTES = 2 * 1024 * 1024 * 1024;
const REGION = 'us-east-1';
const RGW_NAME = 'client.rgw.test';
const DIR_PREFIX = 'rx-firehose-radosgw-';
const STALE_AFTER_MS = 10 * 60_000;

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  exitInfo: string | undefined;
}

interface Instance {
  readonly dir: string;
  readonly daemons: Daemon[];
  readonly keepDir: boolean;
}

/** Instances not yet stopped: killed synchronously on process exit. */
const live = new Set<Instance>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const inst of live) {
      for (const d of inst.daemons) {
        if (isRunning(d)) {
          try {
            d.child.kill('SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      if (!inst.keepDir) {
        try {
          rmSync(inst.dir, { recursive: true, force: true, maxRetries: 3 });
        } catch {
          // best effort
        }
      }
    }
    live.clear();
  });
}

function isRunning(d: Daemon): boolean {
  return d.child.pid !== undefined && d.exitInfo === undefined;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['CEPH_ARGS', 'CEPH_CONF', 'CEPH_KEYRING']) delete env[k];
  return env;
}

function findOnPath(name: string): string | undefined {
  const dirs = (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const d of [...dirs, '/usr/bin', '/bin']) {
    if (d === '') continue;
    const p = join(d, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Prefix that makes the kernel SIGKILL the command when Node (its parent) dies. */
function withDeathSignal(cmd: string, args: readonly string[]): [string, string[]] {
  const setpriv = findOnPath('setpriv');
  return setpriv === undefined ? [cmd, [...args]] : [setpriv, ['--pdeathsig', 'KILL', '--', cmd, ...args]];
}

interface RunResult {
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], opts: { cwd?: string; timeoutMs: number; deathSignal?: boolean }): Promise<RunResult> {
  const [file, argv] = opts.deathSignal === false ? [cmd, [...args]] : withDeathSignal(cmd, args);
  return new Promise((resolve, reject) => {
    execFile(
      file,
      argv,
      {
        cwd: opts.cwd,
        env: childEnv(),
        timeout: Math.max(1, opts.timeoutMs),
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) {
          const how = error.killed ? `killed after ${opts.timeoutMs} ms` : `exit code ${String(error.code)}`;
          reject(
            new Error(
              `\`${cmd} ${args.join(' ')}\` failed (${how})\n--- stdout ---\n${tail(stdout, 60)}\n--- stderr ---\n${tail(stderr, 60)}`,
            ),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

function tail(text: string, lines: number): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  // `$cluster`, `$name`, `$id` are Ceph metavariables, expanded per daemon.
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.1/32
ms bind ipv4 = true
ms bind ipv6 = false
ms bind msgr1 = false
ms bind msgr2 = true
# auth "none" cannot do "secure" connection mode: without crc, radosgw fails with EACCES (-13)
ms mon client mode = crc secure
ms mon service mode = crc secure
ms mon cluster mode = crc secure
ms client mode = crc secure
ms service mode = crc secure
ms cluster mode = crc secure
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
mon warn on insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
run dir = ${dir}/run
admin socket = ${dir}/run/$cluster-$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
log to stderr = false
err to stderr = true
mon cluster log file = ${dir}/log/$cluster.log
crash dir = ${dir}/crash

[mon]
# Commit map changes (pool creation...) every 10 ms instead of every second.
paxos propose interval = 0.01
paxos min wait = 0.01

[mon.a]
mon data = ${dir}/mon/a

[osd]
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES}
osd data = ${dir}/osd/$id
osd fast shutdown notify mon = false
osd mon shutdown timeout = 1

[${RGW_NAME}]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
rgw enable lc threads = false
`;
}

function spawnDaemon(inst: Instance, name: string, cmd: string, args: readonly string[]): Daemon {
  const out = openSync(join(inst.dir, 'log', `${name}.out`), 'a');
  let child: ChildProcess;
  try {
    const [file, argv] = withDeathSignal(cmd, args);
    child = spawn(file, argv, { cwd: inst.dir, env: childEnv(), stdio: ['ignore', out, out], detached: false });
  } finally {
    closeSync(out);
  }
  let resolveExited!: () => void;
  const exited = new Promise<void>((resolve) => {
    resolveExited = resolve;
  });
  const daemon: Daemon = { name, child, exited, exitInfo: undefined };
  child.once('exit', (code, signal) => {
    daemon.exitInfo = signal !== null ? `killed by ${signal}` : `exited with code ${String(code)}`;
    resolveExited();
  });
  child.once('error', (err) => {
    if (daemon.exitInfo === undefined) daemon.exitInfo = `failed: ${err.message}`;
    if (child.pid === undefined) resolveExited();
  });
  child.unref();
  inst.daemons.push(daemon);
  if (child.pid !== undefined) {
    writeFileSync(join(inst.dir, 'pids', `${name}.pid`), `${child.pid}\n`);
  }
  return daemon;
}

async function stopInstance(inst: Instance): Promise<void> {
  // Reverse start order: radosgw hangs in shutdown once the monitor is gone.
  for (const d of [...inst.daemons].reverse()) {
    if (!isRunning(d)) continue;
    d.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([d.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, TERM_GRACE_MS)))]);
    clearTimeout(timer);
    if (isRunning(d)) {
      d.child.kill('SIGKILL');
      await Promise.race([d.exited, sleep(5_000)]);
    }
  }
  live.delete(inst);
  if (!inst.keepDir) rmSync(inst.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/**
 * Removes directories left behind by instances whose Node process was killed
 * abruptly (no 'exit' handler ran; the daemons died through PDEATHSIG):
 * older than 10 minutes and none of their recorded pids alive.
 */
function sweepStaleDirs(): void {
  let names: string[] = [];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < STALE_AFTER_MS) continue;
      let pidFiles: string[] = [];
      try {
        pidFiles = readdirSync(join(dir, 'pids'));
      } catch {
        // no daemons were ever started
      }
      const anyAlive = pidFiles.some((f) => {
        const pid = Number.parseInt(readFileSync(join(dir, 'pids', f), 'utf8'), 10);
        if (!Number.isInteger(pid) || pid <= 0) return false;
        try {
          process.kill(pid, 0);
          return true;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === 'EPERM';
        }
      });
      if (!anyAlive) rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}

function logTails(inst: Instance, lines = 25): string {
  const parts: string[] = [];
  for (const d of inst.daemons) parts.push(`${d.name}: pid ${String(d.child.pid)}, ${d.exitInfo ?? 'running'}`);
  let files: string[] = [];
  try {
    files = readdirSync(join(inst.dir, 'log')).sort();
  } catch {
    // no logs
  }
  for (const f of files) {
    let text = '';
    try {
      text = readFileSync(join(inst.dir, 'log', f), 'utf8');
    } catch {
      continue;
    }
    if (text.trim() === '') continue;
    parts.push(`--- ${f} (last ${lines} lines) ---\n${tail(text, lines)}`);
  }
  return parts.join('\n');
}

/**
 * Installs (if needed) and starts a private Ceph cluster + RADOS Gateway on
 * 127.0.0.1. Call `stop()` when done.
 */
export async function startRadosGateway(options?: { log?: (line: string) => void }): Promise<RadosGateway> {
  const log = options?.log ?? (() => {});
  const t0 = Date.now();
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  try {
    const r = await run('bash', [INSTALL_SCRIPT], { timeoutMs: INSTALL_TIMEOUT_MS, deathSignal: false });
    const out = (r.stdout + r.stderr).trim();
    if (out !== '') log(`install-radosgw.sh (${elapsed()}):\n${out}`);
  } catch (err) {
    throw new Error(`Could not install RADOS Gateway (${INSTALL_SCRIPT}):\n${(err as Error).message}`);
  }

  installExitHandler();
  const tStart = Date.now();
  const deadline = tStart + START_TIMEOUT_MS;
  const remaining = (): number => {
    const ms = deadline - Date.now();
    if (ms <= 0) throw new Error(`RADOS Gateway did not start within ${START_TIMEOUT_MS / 1000} s`);
    return ms;
  };

  sweepStaleDirs();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  const inst: Instance = { dir, daemons: [], keepDir: process.env['RADOSGW_KEEP_DIR'] === '1' };
  live.add(inst);

  const conf = join(dir, 'ceph.conf');
  const fsid = randomUUID();
  const accessKeyId = `RXFH${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64url');

  const assertAlive = (): void => {
    const dead = inst.daemons.find((d) => !isRunning(d));
    if (dead) throw new Error(`${dead.name} ${dead.exitInfo ?? 'died'}`);
  };
  const ceph = async (...args: string[]): Promise<string> => {
    assertAlive();
    const timeoutMs = Math.min(remaining(), 30_000);
    const r = await run('ceph', ['-c', conf, '--connect-timeout', String(Math.ceil(timeoutMs / 1000)), ...args], { cwd: dir, timeoutMs });
    return r.stdout;
  };

  try {
    for (const sub of ['mon/a', 'osd/0', 'run', 'log', 'rgw', 'pids', 'crash']) mkdirSync(join(dir, sub), { recursive: true });
    const [monPort, rgwPort] = await freePorts(2);
    if (monPort === undefined || rgwPort === undefined) throw new Error('no free ports');
    writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort));
    log(`radosgw: dir ${dir}, fsid ${fsid}, mon 127.0.0.1:${monPort}, s3 127.0.0.1:${rgwPort}`);

    // Monitor.
    await run('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, join(dir, 'monmap')], {
      cwd: dir,
      timeoutMs: remaining(),
    });
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')], { cwd: dir, timeoutMs: remaining() });
    spawnDaemon(inst, 'mon.a', 'ceph-mon', ['-c', conf, '-f', '-i', 'a']);

    // OSD (registering it needs a monitor quorum; `ceph` waits for it).
    const osdUuid = randomUUID();
    const osdId = (await ceph('osd', 'new', osdUuid)).trim();
    if (osdId !== '0') throw new Error(`unexpected OSD id from \`ceph osd new\`: ${JSON.stringify(osdId)}`);
    await run('ceph-osd', ['-c', conf, '--mkfs', '-i', '0', '--osd-uuid', osdUuid], { cwd: dir, timeoutMs: remaining() });
    spawnDaemon(inst, 'osd.0', 'ceph-osd', ['-c', conf, '-f', '-i', '0']);
    for (;;) {
      const dump = JSON.parse(await ceph('osd', 'dump', '-f', 'json')) as { osds?: { osd: number; up: number }[] };
      if (dump.osds?.some((o) => o.osd === 0 && o.up === 1)) break;
      await sleep(200);
    }
    log(`radosgw: mon + osd up (${((Date.now() - tStart) / 1000).toFixed(1)}s)`);

    // S3 user (this also creates the realm/zonegroup/zone and RGW pools).
    assertAlive();
    await run(
      'radosgw-admin',
      [
        '-c',
        conf,
        '-n',
        RGW_NAME,
        'user',
        'create',
        '--uid=test',
        '--display-name=test',
        `--access-key=${accessKeyId}`,
        `--secret-key=${secretAccessKey}`,
      ],
      { cwd: dir, timeoutMs: remaining() },
    );
    log(`radosgw: user created (${((Date.now() - tStart) / 1000).toFixed(1)}s)`);

    // Gateway, then wait until an authenticated ListBuckets succeeds.
    spawnDaemon(inst, 'rgw', 'radosgw', ['-c', conf, '-n', RGW_NAME, '-f']);
    const gw: RadosGateway = {
      endpoint: `http://127.0.0.1:${rgwPort}`,
      region: REGION,
      accessKeyId,
      secretAccessKey,
      dir,
      stop: once(() => stopInstance(inst)),
    };
    const probe = new S3Client({ ...clientConfig(gw), maxAttempts: 1 });
    try {
      let lastError: unknown;
      for (;;) {
        assertAlive();
        const ms = remaining();
        try {
          await probe.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(Math.min(ms, 5_000)) });
          break;
        } catch (err) {
          lastError = err;
          if (Date.now() + 250 >= deadline) throw new Error(`S3 endpoint never answered: ${String(lastError)}`);
          await sleep(250);
        }
      }
      log(`radosgw: S3 answering (${((Date.now() - tStart) / 1000).toFixed(1)}s)`);
      // Warm-up: RGW creates its index, data and multipart pools lazily, on the
      // first bucket / object / multipart upload, which makes those first
      // requests take seconds. Do it now so tests see steady latencies.
      const signal = AbortSignal.timeout(Math.max(1, remaining()));
      const Bucket = `rxfh-warmup-${randomBytes(6).toString('hex')}`;
      await probe.send(new CreateBucketCommand({ Bucket }), { abortSignal: signal });
      await probe.send(new PutObjectCommand({ Bucket, Key: 'warmup', Body: 'warmup' }), { abortSignal: signal });
      const { UploadId } = await probe.send(new CreateMultipartUploadCommand({ Bucket, Key: 'warmup-mp' }), { abortSignal: signal });
      await probe.send(new AbortMultipartUploadCommand({ Bucket, Key: 'warmup-mp', UploadId }), { abortSignal: signal });
      await probe.send(new DeleteObjectCommand({ Bucket, Key: 'warmup' }), { abortSignal: signal });
      await probe.send(new DeleteBucketCommand({ Bucket }), { abortSignal: signal });
    } finally {
      probe.destroy();
    }
    log(`radosgw: S3 ready at ${gw.endpoint} (start ${((Date.now() - tStart) / 1000).toFixed(1)}s, total ${elapsed()})`);
    return gw;
  } catch (err) {
    const details = logTails(inst);
    await stopInstance(inst).catch(() => {});
    throw new Error(`Failed to start RADOS Gateway in ${dir}: ${(err as Error).message}\n${details}`, { cause: err });
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

function clientConfig(gw: RadosGateway) {
  return {
    endpoint: gw.endpoint,
    region: gw.region,
    credentials: { accessKeyId: gw.accessKeyId, secretAccessKey: gw.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
}

/** An S3 client for the gateway: path-style addressing, checksums only when required. */
export function s3ClientFor(gw: RadosGateway): S3Client {
  return new S3Client(clientConfig(gw));
}
