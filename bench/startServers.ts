import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Starts serversProcess.ts: kinesalite and dynalite in a child process. `stop` ends it. */
export async function startServers(): Promise<{ kinesis: string; dynamodb: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'serversProcess.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`serversProcess exited with ${code}`)));
  });
  const [kinesis, dynamodb] = line.split(' ') as [string, string];
  return { kinesis, dynamodb, stop: () => child.kill('SIGTERM') };
}
