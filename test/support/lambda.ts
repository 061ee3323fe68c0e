/**
 * A real Lambda Invoke API for tests: serverless-offline 13 (a plugin of the
 * Serverless Framework 3) running the Firehose data-transformation handlers of
 * `lambda/handlers.mjs`, as declared in `lambda/serverless.yml`, offline.
 *
 *   const lambda = await startLambdaOffline();
 *   const out = await lambda.client().send(new InvokeCommand({ FunctionName: 'transform', Payload: ... }));
 *   await lambda.stop();
 *
 * Functions (invoke them by these plain names; see lambda/handlers.mjs):
 *   transform  Ok (+ "transformed": true, "\n", partition key `customer`), Dropped for
 *              `"drop": true`, ProcessingFailed for `"fail": true` (and for non-JSON data)
 *   crash      throws                 -> StatusCode 200, FunctionError 'Unhandled'
 *   slow       sleeps 3 s, timeout 1 s -> StatusCode 200, FunctionError 'Unhandled',
 *              Payload {"errorMessage":"[504] - Lambda timeout.","errorType":"Error","trace":[...]}
 *   malformed  { records: [{ recordId: 'not-an-input-id', result: 'Ok', data: '!!!' }] }
 *   echo       every record Ok, unchanged (the readiness probe)
 * Each also answers to its full ARN, e.g. 'arn:aws:lambda:us-east-1:123456789012:function:transform'
 * (declared twice in serverless.yml, because serverless-offline matches FunctionName verbatim).
 *
 * Observed behaviour of serverless-offline 13.9.0 (what tests can rely on):
 *  - success: StatusCode 200, no FunctionError, Payload = the handler's JSON result.
 *  - function error: StatusCode 200, FunctionError 'Unhandled',
 *    Payload {"errorMessage":"<message>","errorType":"Error","trace":["Error: <message>","    at ..."]}
 *    (errorType is always "Error", whatever the thrown class; AWS would give its name).
 *  - timeout: the same shape with errorMessage "[504] - Lambda timeout." after the function's
 *    `timeout` (AWS says "... Task timed out after 1.00 seconds": a /timed out/ test does NOT
 *    match serverless-offline's message). The worker of a timed-out
 *    instance is terminated but the instance stays in the pool: later invocations that land
 *    on it time out too (harmless for `slow`, which always times out).
 *  - unknown function: the SDK throws ResourceNotFoundException (HTTP 404, header
 *    x-amzn-ErrorType; body {"Message":"Function not found: <name>","Type":"User"}).
 *    FunctionName is matched verbatim: only the names and ARNs declared in serverless.yml
 *    exist; 'echo:$LATEST' is unknown; the Qualifier parameter is accepted and ignored.
 *  - request payload limit: 6 MiB (6 * 1024 * 1024 = 6291456 bytes pass, one more byte does
 *    not): HTTP 413 from hapi, which the SDK throws as an error named 'Unknown'
 *    ($metadata.httpStatusCode 413, message "Payload content length greater than maximum
 *    allowed: 6291456"); AWS would throw RequestTooLargeException. There is no response size
 *    limit (an 8.8 MB response came back; AWS fails responses over 6 MB).
 *  - InvocationType 'Event' -> StatusCode 202; 'DryRun' -> InvalidParameterValueException (400).
 *  - the malformed output is passed through untouched: serverless-offline checks nothing.
 *  - the handlers run in worker threads of the serverless process (one per concurrent
 *    invocation, kept 60 s idle), not in child processes.
 *
 * How it runs / traps handled here:
 *  - `node [--no-experimental-require-module] --require lambda/watchdog.cjs
 *    node_modules/serverless/bin/serverless.js offline start --host 127.0.0.1 --lambdaPort N ...`
 *    with cwd `lambda/`, as a direct child (never through npx: the pid would be a wrapper's).
 *  - Node 20.19+ / 22.12+ can require() ES modules, so serverless 3.7.4's plugin loader gets
 *    the module namespace of the ESM-only serverless-offline instead of its default export and
 *    dies with "TypeError: Cannot redefine property: _serverlessExternalPluginName". The child
 *    is started with `--no-experimental-require-module` when this Node has that feature.
 *  - serverless 3.7.4's schema does not know `nodejs20.x`: `configValidationMode: off`.
 *  - No network beyond 127.0.0.1: telemetry, notifications and deprecation notices are off
 *    (SLS_TELEMETRY_DISABLED, SLS_TRACKING_DISABLED, SLS_NOTIFICATIONS_MODE=off,
 *    SLS_DEPRECATION_DISABLE=*), there is no `org`/`app` (no Dashboard plugin), the AWS
 *    credentials are fake and every inherited AWS_* variable is dropped (serverless-offline
 *    copies AWS_* into the handlers' environment). Checked with strace: no connect() at all
 *    besides the listening socket. HOME points to a private directory under os.tmpdir() (its
 *    compiled-schema cache lives there), so nothing is read from or written to ~/.aws or
 *    ~/.serverless*. NODE_OPTIONS is not passed on.
 *  - Ports: free ports on 127.0.0.1 (listen on port 0, close again) for the Lambda API and,
 *    in case events get added one day, for the HTTP / WebSocket / ALB servers. If the Lambda
 *    port was taken in the meantime (EADDRINUSE) the start is retried with new ports.
 *  - Readiness = a real InvokeCommand of `echo` succeeds (not just an open port); overall
 *    budget 60 s; on failure the Error carries the server's output and the server is killed.
 *  - @smithy/node-http-handler 4.x only WARNS when `requestTimeout` passes (unless
 *    `throwOnRequestTimeout: true`): the readiness probe sets that and an abortSignal, so a
 *    socket that accepts but never answers cannot hang the start.
 *  - hapi answers with `Keep-Alive: timeout=5`. Node 20's agent honours that hint (invokes after
 *    4.9-5.05 s idle on a keep-alive SDK client all passed), but with maxAttempts 1 a reused
 *    socket closed by the server would surface as ECONNRESET, so client() uses an agent without
 *    keep-alive anyway (median echo of 100 records: ~2.4-3.2 ms vs ~2.1-2.4 ms pooled).
 *  - The v3 Lambda client already speaks HTTP/1.1 (NodeHttpHandler); it is set explicitly.
 *  - Lifetime: stop() SIGKILLs the server and every descendant (found through /proc) and waits
 *    until it has exited; there is nothing to flush. If the test process dies without stop():
 *    a process 'exit' handler SIGKILLs live servers (normal exit, process.exit()); for
 *    SIGKILL / crashes, lambda/watchdog.cjs (preloaded in the server) kills the server when
 *    its stdin pipe from us reaches EOF or its parent pid changes (also when the test runs in a
 *    worker thread that ends: the thread's pipes close). In a process with an IPC channel
 *    (vitest 'forks' workers) the servers are also killed on 'disconnect', i.e. when vitest's
 *    main process dies and would leave the worker orphaned until its current test ends.
 *    The child and its pipes are unref()'d: a script that forgets stop() still exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { freePorts } from './freePorts.js';

export interface LambdaOffline {
  /** http://127.0.0.1:PORT, for `new LambdaClient({ endpoint })`. */
  endpoint: string;
  /** us-east-1 (the provider region of lambda/serverless.yml). */
  region: string;
  /** A new LambdaClient for this server: fake credentials, HTTP/1.1 without keep-alive, maxAttempts 1. */
  client(): LambdaClient;
  /** Kills the server (and anything it started) and waits until it is gone. Idempotent. */
  stop(): Promise<void>;
}

const SERVICE_DIR = fileURLToPath(new URL('./lambda/', import.meta.url));
const WATCHDOG = join(SERVICE_DIR, 'watchdog.cjs');
const REGION = 'us-east-1';
const FAKE_CREDENTIALS = { accessKeyId: 'AKIDLAMBDAOFFLINE', secretAccessKey: 'lambda-offline-fake-secret' };
const START_TIMEOUT_MS = 60_000;
const PROBE_TIMEOUT_MS = 10_000;
const STOP_WAIT_MS = 10_000;
const OUTPUT_LINES_KEPT = 300;
const START_ATTEMPTS = 3;

interface Instance {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  exitInfo: string | undefined;
}

/** Servers not yet stopped: killed synchronously on process exit. */
const live = new Set<Instance>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const inst of live) killTree(inst);
    live.clear();
  });
  // In a child with an IPC channel (vitest's 'forks' pool), the channel closes when the parent
  // (vitest's main process) dies: an orphaned worker would otherwise keep its servers until its
  // current test ends. Not for threads (their handles close with the thread: the watchdog fires).
  if (typeof process.send === 'function') {
    process.once('disconnect', () => {
      for (const inst of live) killTree(inst);
    });
  }
}

function serverlessBin(): string {
  return createRequire(import.meta.url).resolve('serverless/bin/serverless.js');
}

/** Node ≥ 20.19 / 22.12 loads ES modules through require(); serverless 3 cannot cope (see above). */
function nodeFlags(): string[] {
  const features = process.features as unknown as Record<string, unknown>;
  return features['require_module'] === true ? ['--no-experimental-require-module'] : [];
}

function childEnv(): NodeJS.ProcessEnv {
  const home = join(tmpdir(), 'rx-firehose-serverless-home');
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // AWS_* would be copied into the handlers' environment by serverless-offline, and real
    // credentials / profiles have no business here; NODE_OPTIONS could inject loaders.
    if (k.startsWith('AWS_') || k === 'NODE_OPTIONS' || k.startsWith('SLS_') || k.startsWith('SERVERLESS_')) continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    SLS_SCHEMA_CACHE_BASE_DIR: home,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    RX_FIREHOSE_LAMBDA_WATCHDOG: '1',
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Pids of all descendants of `pid` (Linux /proc; empty elsewhere). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may contain spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** SIGKILLs the server and its descendants, synchronously. */
function killTree(inst: Instance): void {
  const pid = inst.child.pid;
  if (pid === undefined || inst.exitInfo !== undefined) return;
  const pids = [pid, ...descendants(pid)];
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function newClient(endpoint: string, requestTimeout?: number): LambdaClient {
  return new LambdaClient({
    endpoint,
    region: REGION,
    credentials: FAKE_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: false }),
      // requestTimeout alone only logs a warning in @smithy/node-http-handler 4.x.
      ...(requestTimeout === undefined ? {} : { requestTimeout, connectionTimeout: requestTimeout, throwOnRequestTimeout: true }),
    }),
  });
}

class StartFailure extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
  }
}

async function startOnce(log: ((line: string) => void) | undefined, deadline: number): Promise<LambdaOffline> {
  const [lambdaPort, httpPort, websocketPort, albPort] = (await freePorts(4)) as [number, number, number, number];
  const args = [
    ...nodeFlags(),
    '--require',
    WATCHDOG,
    serverlessBin(),
    'offline',
    'start',
    '--host',
    '127.0.0.1',
    '--lambdaPort',
    String(lambdaPort),
    '--httpPort',
    String(httpPort),
    '--websocketPort',
    String(websocketPort),
    '--albPort',
    String(albPort),
    '--noSponsor',
  ];
  const output: string[] = [];
  const addLine = (line: string): void => {
    output.push(line);
    if (output.length > OUTPUT_LINES_KEPT) output.shift();
    if (log) {
      try {
        log(line);
      } catch {
        // a broken logger must not break the server
      }
    }
  };
  const lineReader = (prefix: string) => {
    let partial = '';
    return (chunk: Buffer): void => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) addLine(prefix + l.replace(/\r$/, ''));
    };
  };

  installExitHandler();
  const child = spawn(process.execPath, args, {
    cwd: SERVICE_DIR,
    env: childEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: false,
  });
  let resolveExited!: () => void;
  const exited = new Promise<void>((resolve) => (resolveExited = resolve));
  const inst: Instance = { child, exited, exitInfo: undefined };
  child.once('exit', (code, signal) => {
    inst.exitInfo = signal !== null ? `killed by ${signal}` : `exited with code ${String(code)}`;
    live.delete(inst);
    resolveExited();
  });
  child.once('error', (err) => {
    if (inst.exitInfo === undefined) inst.exitInfo = `failed to start: ${err.message}`;
    if (child.pid === undefined) {
      live.delete(inst);
      resolveExited();
    }
  });
  live.add(inst);
  child.stdout?.on('data', lineReader(''));
  child.stderr?.on('data', lineReader('[stderr] '));
  // stdin is the watchdog's lifeline: never written to, never ended (but must not keep us alive).
  child.stdin?.on('error', () => {});
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();

  const endpoint = `http://127.0.0.1:${lambdaPort}`;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      killTree(inst);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
      clearTimeout(timer);
      live.delete(inst);
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
    })();
    return stopping;
  };

  const fail = async (why: string): Promise<never> => {
    await stop();
    const text = output.join('\n');
    throw new StartFailure(
      `serverless-offline (${endpoint}, cwd ${SERVICE_DIR}) ${why}; server ${inst.exitInfo ?? 'killed'}\n--- server output (last ${OUTPUT_LINES_KEPT} lines) ---\n${text}`,
      /EADDRINUSE/.test(text),
    );
  };

  // Readiness: a real Invoke of `echo` must succeed.
  const probe = newClient(endpoint, PROBE_TIMEOUT_MS);
  const payload = Buffer.from(
    JSON.stringify({
      invocationId: 'readiness-probe',
      deliveryStreamArn: `arn:aws:firehose:${REGION}:123456789012:deliverystream/readiness-probe`,
      region: REGION,
      records: [{ recordId: 'probe-0', approximateArrivalTimestamp: Date.now(), data: Buffer.from('{"probe":true}\n').toString('base64') }],
    }),
  );
  // One probe: 'ready', 'fatal' (echo itself fails: waiting will not help) or 'retry'.
  // Aborted when the server dies or the budget is spent: a socket that accepts but never
  // answers must not hold the start.
  const serverDied = new AbortController();
  void exited.then(() => serverDied.abort());
  let lastError = 'no attempt yet';
  const probeOnce = async (): Promise<'ready' | 'fatal' | 'retry'> => {
    const timeout = AbortSignal.timeout(Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now())));
    try {
      const out = await probe.send(new InvokeCommand({ FunctionName: 'echo', Payload: payload }), {
        abortSignal: AbortSignal.any([timeout, serverDied.signal]),
      });
      const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
      if (out.StatusCode === 200 && out.FunctionError === undefined && text.includes('"probe-0"')) return 'ready';
      lastError = `StatusCode ${String(out.StatusCode)} FunctionError ${String(out.FunctionError)} Payload ${text.slice(0, 1000)}`;
      return out.FunctionError !== undefined ? 'fatal' : 'retry';
    } catch (err) {
      lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return 'retry';
    }
  };
  try {
    for (;;) {
      if (inst.exitInfo !== undefined) return await fail(`exited before it was ready (last probe: ${lastError})`);
      if (Date.now() > deadline) return await fail(`was not ready within ${START_TIMEOUT_MS} ms (last probe: ${lastError})`);
      const result = await probeOnce();
      if (result === 'ready') break;
      if (result === 'fatal') return await fail(`answered the readiness probe (Invoke of echo) with a function error: ${lastError}`);
      await sleep(100);
    }
  } finally {
    probe.destroy();
  }

  return {
    endpoint,
    region: REGION,
    client: () => newClient(endpoint),
    stop,
  };
}

/**
 * Starts serverless-offline for the service in test/support/lambda/ on free ports of
 * 127.0.0.1 and resolves once `echo` can be invoked through the Invoke API.
 * `log` receives every line the server prints (stderr lines prefixed with "[stderr] ").
 */
export async function startLambdaOffline(options?: { log?: (line: string) => void }): Promise<LambdaOffline> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options?.log, deadline);
    } catch (err) {
      if (err instanceof StartFailure && err.portTaken && attempt < START_ATTEMPTS && Date.now() < deadline) continue;
      throw err;
    }
  }
}
