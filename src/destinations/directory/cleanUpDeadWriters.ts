import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A temporary file of a writer: `.<name>.<pid>.<random hex>.tmp`. */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Deletes, under `root`, the temporary files left by writers that died before renaming them into place (a
 * process killed with SIGKILL, a power failure): hidden `.<name>.<pid>.<hex>.tmp` files whose process is
 * not running on this machine. A live writer's files (another process's, or this process's own) are never
 * touched. Returns how many were deleted; a directory that cannot be read is skipped.
 */
export async function cleanUpDeadWriters(root: string): Promise<number> {
  let deleted = 0;
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await visit(path);
      else if (entry.isFile()) {
        const match = TEMP_FILE.exec(entry.name);
        if (match !== null && !isRunning(Number(match[1]))) {
          await unlink(path).then(
            () => deleted++,
            () => undefined,
          );
        }
      }
    }
  };
  await visit(root);
  return deleted;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM'; // running, as another user
  }
}
