import { spawn, type ChildProcess } from 'node:child_process';

/** A TypeScript script running in a child process that reports on its standard output, one line per fact. */
export interface LineProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far, in chunks. */
  readonly stderr: string[];
  /** Its exit: the code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node --import tsx <script>` with `env` added to this process's environment and hands each whole line
 * of its stdout to `onLine`, as it comes (a line cut between two chunks is joined first). Its stdin is a pipe
 * when `stdin` is `'pipe'` (to tell it when to start), else closed. The caller keeps the child to kill it in
 * its `afterAll`.
 */
export function startLineProcess(
  script: string,
  env: Record<string, string>,
  onLine: (line: string) => void,
  stdin: 'pipe' | 'ignore' = 'ignore',
): LineProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  return { child, stderr, exited };
}
