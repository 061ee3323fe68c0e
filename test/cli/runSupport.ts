import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: `rx-firehose run` runs from source there (`node --import tsx src/cli/run.ts`). */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `rx-firehose run` child process. */
export interface RunningCli {
  readonly done: Promise<RunResult>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the first line of stdout or stderr (from the start) that matches. */
  line(pattern: RegExp): Promise<string>;
  /** Resolves once stdout has `count` lines that match (rejects if the process exits first). */
  lines(pattern: RegExp, count: number): Promise<string[]>;
}

/** Starts `rx-firehose run <args>` as a user runs it, in a child process with `env` added to the environment (`undefined` removes a variable). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv,
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ check: () => boolean }> = [];
  const check = (): void => {
    for (const w of [...waiters]) if (w.check()) waiters.splice(waiters.indexOf(w), 1);
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    check();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    check();
  });
  const done = new Promise<RunResult>((resolveRun) => child.on('close', (code) => resolveRun({ code, stdout, stderr })));
  return {
    done,
    kill: (signal) => child.kill(signal),
    line: (pattern) =>
      new Promise((resolveLine, reject) => {
        waiters.push({
          check: () => {
            const found = `${stdout}\n${stderr}`.split('\n').find((l) => pattern.test(l));
            if (found !== undefined) resolveLine(found);
            return found !== undefined;
          },
        });
        check();
        void done.then((r) =>
          reject(new Error(`rx-firehose run exited (${r.code}) before printing ${pattern}:\n${r.stdout}\n${r.stderr}`)),
        );
      }),
    lines: (pattern, count) =>
      new Promise((resolveLines, reject) => {
        waiters.push({
          check: () => {
            const found = stdout.split('\n').filter((l) => pattern.test(l));
            if (found.length >= count) resolveLines(found);
            return found.length >= count;
          },
        });
        check();
        void done.then((r) =>
          reject(new Error(`rx-firehose run exited (${r.code}) before printing ${count} lines like ${pattern}:\n${r.stdout}\n${r.stderr}`)),
        );
      }),
  };
}
