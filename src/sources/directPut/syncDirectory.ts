import { open } from 'node:fs/promises';

/** Flushes a directory's entries to disk (a file just created, renamed or deleted in it), so they survive a power failure. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
