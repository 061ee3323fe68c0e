import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FailureRecord } from '../../src/index.js';

/** Every failure record (JSON line) of every file below `root`, with the file's path relative to `root`. */
export async function readFailureFiles(root: string): Promise<Array<{ path: string; record: FailureRecord }>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const out: Array<{ path: string; record: FailureRecord }> = [];
  for (const e of entries.filter((x) => x.isFile())) {
    const path = join(e.parentPath, e.name).slice(root.length + 1);
    for (const l of (await readFile(join(e.parentPath, e.name), 'utf8')).split('\n'))
      if (l !== '') out.push({ path, record: JSON.parse(l) as FailureRecord });
  }
  return out;
}

/** Every failure record of every file below `root`. */
export async function readFailureRecords(root: string): Promise<FailureRecord[]> {
  return (await readFailureFiles(root)).map((f) => f.record);
}
