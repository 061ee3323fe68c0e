/**
 * Test support for both ends of Firehose's HTTP endpoint protocol: real servers on 127.0.0.1, a raw client
 * for hand-made requests, a self-signed certificate made with openssl(1), and a wait-until helper.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server listening on 127.0.0.1 at a free port. */
export interface TestServer {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (or https). */
  readonly origin: string;
  close(): Promise<void>;
}

/** Starts `listener` on 127.0.0.1 (https when `tls` is given). */
export async function startServer(listener: RequestListener, tls?: { key: string; cert: string }): Promise<TestServer> {
  const server: Server = tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const s = await startServer(() => undefined);
  await s.close();
  return s.port;
}

/** A response as a raw client saw it. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: Record<string, unknown> | undefined;
}

/** Sends one hand-made request to 127.0.0.1:`port` and reads the whole answer. */
export function rawRequest(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string | number>; body?: string | Uint8Array },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        headers: options.headers ?? {},
        agent: false,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits until `condition()` holds, checking after each turn of the event loop; fails after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Writes a JSON answer, as an endpoint of the protocol does (or deliberately doesn't). */
export function answerJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Reads a whole request body. */
export function bodyOf(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const succeeds = (command: string, args: readonly string[]): boolean => {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return r.error === undefined && r.status === 0;
};

/**
 * Makes sure openssl(1) is there: installs Debian's `openssl` with apt-get when running as root
 * (serialized with flock(1), running `apt-get update` once if the install fails), otherwise throws an
 * Error naming the package. Tests are never skipped for lack of it.
 */
export function ensureOpenssl(): void {
  if (succeeds('openssl', ['version'])) return;
  let why = 'not running as root';
  if (typeof process.getuid === 'function' && process.getuid() === 0 && succeeds('apt-get', ['--version'])) {
    const apt = (args: string[]) =>
      spawnSync('flock', ['/tmp/rx-firehose-apt.lock', 'apt-get', '-o', 'DPkg::Lock::Timeout=300', ...args], {
        encoding: 'utf8',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 600_000,
      });
    let r = apt(['install', '-y', '--no-install-recommends', 'openssl']);
    if (r.status !== 0) {
      apt(['update']);
      r = apt(['install', '-y', '--no-install-recommends', 'openssl']);
    }
    if (succeeds('openssl', ['version'])) return;
    why = `apt-get install failed (exit ${r.status}): ${`${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-1000)}`;
  }
  throw new Error(
    `The HTTPS tests make a self-signed certificate with openssl(1).\nInstall it: apt-get install -y --no-install-recommends openssl\n(${why})`,
  );
}

/** A fresh self-signed certificate (EC P-256, one day) for 127.0.0.1 and localhost, made with openssl(1). */
export function selfSignedCertificate(): { key: string; cert: string } {
  ensureOpenssl();
  const dir = mkdtempSync(join(tmpdir(), 'rx-firehose-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (r.status !== 0) throw new Error(`openssl req failed (exit ${r.status}): ${r.stderr}`);
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
