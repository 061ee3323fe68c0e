import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVE = fileURLToPath(new URL('../../src/cli/serve.ts', import.meta.url));

/** `rx-firehose serve` running in a child process. */
export interface ServeProcess {
  /** `http://127.0.0.1:<port>`, read from the first line of its stdout. */
  readonly endpoint: string;
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Its exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** Sends `signal` and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

/**
 * Starts `rx-firehose serve --port 0 …args` (through tsx) and resolves once its first stdout line names the
 * endpoint. Rejects with its stderr if it exits first.
 */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVE, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal!)));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    void exited.then((code) => reject(new Error(`rx-firehose serve exited (${code}) before listening:\n${stderr}`)));
  });
  const endpoint = /http:\/\/127\.0\.0\.1:\d+/.exec(firstLine)?.[0];
  if (endpoint === undefined) {
    child.kill('SIGKILL');
    throw new Error(`the first line of rx-firehose serve names no endpoint: ${firstLine}`);
  }
  child.stdout!.resume();
  return {
    endpoint,
    child,
    stderr: () => stderr,
    exited,
    stop: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
